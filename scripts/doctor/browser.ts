// Which Chromium the browser suites drive, looked for in the order a machine is likely to have one
// that fits: the one you name, the one Playwright manages, the system's, and last the one that
// ships inside an npm package (so a fresh `npm ci` always has a browser, even where no browser
// download works and the OS has none).
import { accessSync, constants, statSync } from 'node:fs';
import { chromium } from 'playwright-core';

const SYSTEM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', '/Applications/Chromium.app/Contents/MacOS/Chromium'];

export interface FoundBrowser {
  path: string;
  /** Where it came from, for logs and `npm run doctor`. */
  source: 'CHROMIUM_PATH' | 'Playwright' | 'system' | '@sparticuz/chromium';
}

/** An executable regular file: not just a name that exists (a path bound over with /dev/null does). */
function runnable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export async function findChromium(): Promise<FoundBrowser> {
  const tried: string[] = [];
  const env = process.env.CHROMIUM_PATH;
  // A path you set and that is wrong is an error, not a reason to quietly use another browser.
  if (env) {
    if (runnable(env)) return { path: env, source: 'CHROMIUM_PATH' };
    throw new Error(`CHROMIUM_PATH=${env} is not an executable file`);
  }
  tried.push('CHROMIUM_PATH (not set)');

  // `npx playwright install chromium` puts it where playwright-core's registry says.
  const managed = chromium.executablePath();
  if (runnable(managed)) return { path: managed, source: 'Playwright' };
  tried.push(`Playwright's ${managed} (npx playwright install chromium)`);

  const system = SYSTEM.find(runnable);
  if (system) return { path: system, source: 'system' };
  tried.push(`the system's ${SYSTEM.join(', ')}`);

  // Unpacked from the package's brotli archives into the temporary directory on first use
  // (5-7 s on 2 cores), then reused. Imported only here: the import sets things up for AWS Lambda.
  try {
    const { default: packaged } = await import('@sparticuz/chromium');
    return { path: await packaged.executablePath(), source: '@sparticuz/chromium' };
  } catch (error) {
    tried.push(`@sparticuz/chromium (${(error as Error).message.split('\n')[0]}; npm ci installs it)`);
  }
  throw new Error(`no Chromium found; tried ${tried.join('; ')}`);
}
