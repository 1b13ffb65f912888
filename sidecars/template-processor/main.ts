// template-processor: an init container that renders configuration files before the app starts
// (settings: config.ts). The app image stays the same in every environment; what differs between
// them is a ConfigMap of parameters, and this program turns the two into the app's config files.
import { configOrExit, exitWithError } from '../shared/lifecycle.ts';
import { createLogger } from '../shared/log.ts';
import { loadConfig } from './config.ts';
import { MissingParamsError, processTemplates } from './process-templates.ts';

const log = createLogger();
const config = configOrExit(log, () => loadConfig(process.env));

// No SIGTERM handler: the program is done in a moment, and as each file is written atomically,
// stopping it half-way leaves no broken file behind. (Exiting 0 on SIGTERM would even be wrong
// here: it would tell the kubelet that the configuration is ready when it is not.)
try {
  const written = await processTemplates(config);
  // The parameter names could be logged, but never their values: a parameter may be a password.
  log.info('templates rendered', { outputDir: config.outputDir, files: written });
} catch (error) {
  // The exit code is what matters: a failed init container keeps the app container from starting,
  // and `kubectl describe pod` shows this message's container as the reason.
  if (!(error instanceof MissingParamsError)) exitWithError(log, 'cannot render templates', error);
  log.error(error.message, { missing: error.missing });
  process.exit(1);
}
