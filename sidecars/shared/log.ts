// Structured logs: one JSON object per line on stdout.
// In a pod, `kubectl logs` and any log collector read the container's stdout; one object per line
// means a collector can parse every field without guessing at a text format, and a reader can still
// pipe it through `jq`. Errors go to stdout too, so one stream holds the whole story in order.

export type Level = 'info' | 'warn' | 'error';
export type Fields = Record<string, unknown>;

export interface Logger {
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

export function createLogger(write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const log = (level: Level, msg: string, fields: Fields = {}) => {
    // time, level and msg come first so a human scanning raw lines finds them in the same place.
    const entry = { time: new Date().toISOString(), level, msg, ...fields };
    write(`${JSON.stringify(entry, errorsAsText)}\n`);
  };
  return {
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
  };
}

// JSON.stringify turns an Error into {} (its fields are not enumerable); keep the message instead.
function errorsAsText(_key: string, value: unknown): unknown {
  return value instanceof Error ? value.message : value;
}
