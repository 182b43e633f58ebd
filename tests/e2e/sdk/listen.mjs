// tests/e2e/sdk/listen.mjs — starts `cci mcp-server --listen 127.0.0.1:0` for the network
// transport tests (http.test.mjs, ws.test.mjs) and reads the chosen port from its stderr line.
import { spawn } from 'node:child_process';

import { CCI_BINARY } from './helpers.mjs';

// Starts `cci mcp-server --listen 127.0.0.1:0 ...` and resolves once the stderr line names the port.
export function startListening({ cwd, home, extraArgs = [] }) {
  const child = spawn(CCI_BINARY, ['mcp-server', '--listen', '127.0.0.1:0', ...extraArgs],
                      { cwd, env: { ...process.env, CCI_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise(resolve => child.on('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 10 s: ${stderr}`)), 10000);
    child.stderr.on('data', chunk => {
      stderr += chunk.toString();
      const m = stderr.match(/listening on http:\/\/([^/\s]+)\/mcp and ws:\/\/[^/\s]+\/ \((token required|no token)\)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', code => reject(new Error(`exited with ${code} before listening: ${stderr}`)));
  });
  return {
    child,
    ready,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}
