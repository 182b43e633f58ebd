// tests/e2e/sdk/helpers.mjs — what the SDK end-to-end tests share: the binary under test, a
// fixture repository with known definitions and calls, a private CCI_HOME, an MCP client over
// stdio exactly as Claude Desktop launches servers, and a raw line-level view of the server.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

// Imported dynamically so a missing `npm ci` says what to run instead of an ERR_MODULE_NOT_FOUND trace.
async function importSdk(subpath) {
  try {
    return await import(`@modelcontextprotocol/sdk/${subpath}`);
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error('tests/e2e/sdk/node_modules is missing: run scripts/install-deps.sh ' +
                      '(it runs `npm ci --ignore-scripts` in tests/e2e/sdk)');
    }
    throw error;
  }
}
export const { Client } = await importSdk('client/index.js');
export const { StdioClientTransport } = await importSdk('client/stdio.js');
export const { McpError, ErrorCode } = await importSdk('types.js');
export const { AjvJsonSchemaValidator } = await importSdk('validation/ajv');

export const CCI_BINARY = process.env.CCI_BINARY;
if (!CCI_BINARY || !fs.existsSync(CCI_BINARY)) {
  throw new Error(`CCI_BINARY must name the built cci executable (got ${JSON.stringify(CCI_BINARY)})`);
}

// Fixture: Python calls across modules and a class hierarchy, JavaScript imports and `extends`,
// and C with a static helper. Tests derive line numbers from this text, never hard-code them.
export const FIXTURE = {
  'pkg/__init__.py': '',
  'pkg/shapes.py': `"""Shapes with an area."""


class Shape:
    """Base of every shape."""

    def area(self):
        return 0


class Circle(Shape):
    def __init__(self, radius):
        self.radius = radius

    def area(self):
        return 3.14159 * self.radius * self.radius


class Square(Shape):
    def __init__(self, side):
        self.side = side

    def area(self):
        return self.side * self.side


def compute_total_area(shapes):
    """Sum the area of every shape."""
    total = 0
    for shape in shapes:
        total += shape.area()
    return total
`,
  'pkg/report.py': `from pkg.shapes import Circle, Square, compute_total_area


def format_report(value):
    return "TOTAL_MARKER_9F3 %.2f" % value


def build_shapes():
    return [Circle(1.0), Square(2.0)]


def print_report():
    total = compute_total_area(build_shapes())
    print(format_report(total))
`,
  'main.py': `from pkg.report import print_report
from pkg.shapes import Circle, compute_total_area


def main():
    print_report()
    return compute_total_area([Circle(3.0)])


if __name__ == "__main__":
    main()
`,
  'web/parser.js': `export class BaseHandler {
  handle(request) {
    return { status: 404 };
  }
}

export class JsonHandler extends BaseHandler {
  handle(request) {
    return { status: 200, body: JSON.stringify(request) };
  }
}

export function parseRequestLine(line) {
  const [method, target] = line.split(' ');
  return { method, target };
}
`,
  'web/server.js': `import { parseRequestLine, JsonHandler } from './parser.js';

function respond(request) {
  const handler = new JsonHandler();
  return handler.handle(request);
}

export function handleRequest(raw) {
  const request = parseRequestLine(raw);
  return respond(request);
}
`,
  'native/checksum.c': `#include <stddef.h>

static unsigned rotate_bits(unsigned value) {
  return (value << 5) | (value >> 27);
}

unsigned checksum_buffer(const char *data, size_t length) {
  unsigned sum = 0;
  for (size_t i = 0; i < length; i++) sum = rotate_bits(sum) ^ (unsigned char)data[i];
  return sum;
}

int main(void) {
  return (int)checksum_buffer("abc", 3);
}
`,
  // Ignored by .cciignore: must never show up in answers.
  'generated/skip_me.py': 'def never_indexed_function():\n    return 1\n',
  '.cciignore': 'generated/\n',
};

// 1-based line of the first line of `file` containing `needle`.
export function lineOf(file, needle) {
  const lines = FIXTURE[file].split('\n');
  const index = lines.findIndex(l => l.includes(needle));
  assert.notEqual(index, -1, `${needle} not in ${file}`);
  return index + 1;
}

export function makeTempDir(prefix) {
  // realpath: the index stores canonical roots, and /tmp may be a symlink.
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `cci-sdk-${prefix}-`)));
}

export function writeTree(root, files) {
  for (const [rel, text] of Object.entries(files)) {
    const full = path.join(root, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text);
  }
}

export function removeDir(dir) {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

// A repository large enough that indexing takes a while: `count` Python files of `perFile`
// functions, each calling the previous file's functions.
export function writeLargeRepo(root, count, perFile) {
  for (let f = 0; f < count; f++) {
    const dir = path.join(root, `mod${Math.floor(f / 100)}`);
    fs.mkdirSync(dir, { recursive: true });
    let text = f > 0 ? `from mod${Math.floor((f - 1) / 100)}.file${f - 1} import *\n\n` : '';
    for (let i = 0; i < perFile; i++) {
      const call = f > 0 ? `    total += func_${f - 1}_${i}(x)\n` : '';
      text += `def func_${f}_${i}(x):\n    """Generated function ${i} of file ${f}."""\n    total = x * ${i}\n${call}` +
              `    for k in range(${i}):\n        total += k\n    return total\n\n\n`;
    }
    fs.writeFileSync(path.join(dir, `file${f}.py`), text);
  }
}

// Runs the CLI (for answers to compare the server's against).
export function runCli(args, { home, cwd }) {
  const r = spawnSync(CCI_BINARY, args, { cwd, env: { ...process.env, CCI_HOME: home }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// An MCP client connected to `cci mcp-server`, spawned the way Claude Desktop does it.
export async function connect({ cwd, home, args = ['mcp-server'], capabilities = {}, env = {} }) {
  const transport = new StdioClientTransport({
    command: CCI_BINARY,
    args,
    env: { ...process.env, CCI_HOME: home, ...env },
    cwd,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', chunk => { stderr += chunk.toString(); });
  const client = new Client({ name: 'cci-e2e', version: '1.0.0' }, { capabilities });
  const errors = [];
  client.onerror = error => errors.push(error);
  await client.connect(transport);
  return { client, transport, errors, stderr: () => stderr };
}

// Asserts the common shape of a successful tool result and returns its structuredContent.
export function structured(result, toolName) {
  assert.ok(result, `${toolName}: no result`);
  const text = result.content?.[0]?.text;
  assert.notEqual(result.isError, true, `${toolName} failed: ${text}`);
  assert.equal(result.content?.[0]?.type, 'text', `${toolName}: content[0] is not text`);
  assert.equal(typeof text, 'string');
  assert.ok(text.length > 0, `${toolName}: empty content[0].text`);
  assert.ok(result.structuredContent && typeof result.structuredContent === 'object',
            `${toolName}: no structuredContent`);
  return result.structuredContent;
}

// The server as raw bytes: a child process whose stdout lines are parsed as they arrive.
export class RawServer {
  constructor({ args = ['mcp-server'], cwd, home }) {
    this.child = spawn(CCI_BINARY, args, { cwd, env: { ...process.env, CCI_HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.messages = [];
    this.arrivals = [];  // Date.now() of each message, for "nothing after X" checks
    this.badLines = [];
    this.waiters = [];
    this.stderr = '';
    this.exited = new Promise(resolve => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    this.child.stderr.on('data', chunk => { this.stderr += chunk.toString(); });
    // The server may stop reading a rejected message early; EPIPE on our side is not a failure.
    this.child.stdin.on('error', () => {});
    readline.createInterface({ input: this.child.stdout, crlfDelay: Infinity }).on('line', line => {
      let message;
      try {
        message = JSON.parse(line);
      } catch {
        this.badLines.push(line);
        return;
      }
      this.messages.push(message);
      this.arrivals.push(Date.now());
      for (const w of [...this.waiters]) w();
    });
  }

  write(data) {
    return new Promise((resolve, reject) => this.child.stdin.write(data, error => (error ? reject(error) : resolve())));
  }

  send(message) {
    return this.write(`${JSON.stringify(message)}\n`);
  }

  // The first message (from `from` on) satisfying `predicate`; rejects after `timeoutMs`.
  next(predicate, { from = 0, timeoutMs = 15000 } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.slice(from).find(predicate);
        if (!found) return false;
        clearTimeout(timer);
        this.waiters = this.waiters.filter(w => w !== check);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter(w => w !== check);
        reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages).slice(0, 2000)}` +
                         `\nstderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      if (!check()) this.waiters.push(check);
    });
  }

  async close() {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  // initialize + notifications/initialized, as a client does before anything else.
  async initialize(id = 'init') {
    await this.send({ jsonrpc: '2.0', id, method: 'initialize', params: INITIALIZE_PARAMS });
    const response = await this.next(m => m.id === id);
    await this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return response;
  }
}

export const INITIALIZE_PARAMS = {
  protocolVersion: '2025-11-25',
  capabilities: {},
  clientInfo: { name: 'cci-e2e-raw', version: '1.0.0' },
};
