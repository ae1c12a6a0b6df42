// Lets a child process (a real worker or server that a test starts and kills) run our TypeScript
// sources directly, compiled by swc as jest compiles them. agenda is loaded by Node's own require(esm).
// Compiled files are kept on disk by their source's hash: the tests start a hundred such processes, and
// compiling the sources cost each of them over a second of CPU.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');

const options = {
  sourceMaps: 'inline',
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
};
const cacheDir = path.join(__dirname, '../../node_modules/.cache/register-ts');
const optionsKey = JSON.stringify([swc.version, options]);

function compiled(source, filename) {
  const key = crypto.createHash('sha256').update(optionsKey).update(filename).update(source).digest('hex');
  const file = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    const { code } = swc.transformSync(source, { ...options, filename });
    // Written aside and renamed: processes starting at once never read a half-written file.
    fs.mkdirSync(cacheDir, { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, code);
    fs.renameSync(partial, file);
    return code;
  }
}

require.extensions['.ts'] = (module, filename) => module._compile(compiled(fs.readFileSync(filename, 'utf8'), filename), filename);
