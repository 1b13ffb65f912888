// node --import test/no-client-node.mjs …: fails any import of @kubernetes/client-node, naming the
// module that asked for it. The tests that prove a program runs without that package (about 60 MB
// of memory) start it with this hook.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, next) {
    if (specifier.startsWith('@kubernetes/client-node')) throw new Error(`client-node loaded from ${context.parentURL}`);
    return next(specifier, context);
  },
});
