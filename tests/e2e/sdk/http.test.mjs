// tests/e2e/sdk/http.test.mjs — `cci mcp-server --listen` driven by the official MCP TypeScript
// SDK over Streamable HTTP: handshake, tools, progress over SSE, argument errors, session
// termination, and the bearer token (SDK requestInit headers; raw fetch without it gets 401).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startListening } from './listen.mjs';
import {
  CCI_BINARY,
  Client,
  ErrorCode,
  FIXTURE,
  McpError,
  lineOf,
  makeTempDir,
  removeDir,
  structured,
  writeTree,
} from './helpers.mjs';

const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');

async function connectHttp(authority, requestInit) {
  const transport = new StreamableHTTPClientTransport(new URL(`http://${authority}/mcp`), { requestInit });
  const client = new Client({ name: 'cci-e2e-http', version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  return { client, transport };
}

describe('cci mcp-server --listen over Streamable HTTP (official TypeScript SDK client)', () => {
  let repo;
  let home;
  let server;
  let authority;
  let session;

  const call = (name, args = {}, options) => session.client.callTool({ name, arguments: args }, undefined, options);

  before(async () => {
    repo = makeTempDir('http-repo');
    home = makeTempDir('http-home');
    writeTree(repo, FIXTURE);
    server = startListening({ cwd: repo, home });
    authority = await server.ready;
    session = await connectHttp(authority);
  });

  after(async () => {
    await session?.client.close().catch(() => {});
    if (server) {
      const { code } = await server.stop();
      assert.equal(code, 0, `SIGTERM ends the server with 0; stderr: ${server.stderr()}`);
    }
    removeDir(repo);
    removeDir(home);
  });

  test('initialize: identity and a session id', () => {
    assert.equal(session.client.getServerVersion().name, 'cci');
    assert.ok(session.client.getServerCapabilities().tools);
    assert.match(session.transport.sessionId, /^[\x21-\x7e]{16,}$/);
  });

  test('tools/list', async () => {
    const { tools } = await session.client.listTools();
    const names = tools.map(t => t.name);
    for (const name of ['index_codebase', 'search_code', 'find_definition']) assert.ok(names.includes(name), name);
  });

  test('index_codebase with progress, then search_code finds the known function first', async () => {
    const progress = [];
    const data = structured(await call('index_codebase', {}, { onprogress: p => progress.push(p) }), 'index_codebase');
    assert.ok(progress.length >= 1, 'notifications/progress arrived over the POST stream');
    assert.equal(data.root, repo);
    assert.equal(data.files.total, 7);
    const found = structured(await call('search_code', { terms: 'compute total area', limit: 2 }), 'search_code');
    const top = found.results[0];
    assert.equal(top.qualified_name, 'pkg.shapes.compute_total_area');
    assert.equal(top.line, lineOf('pkg/shapes.py', 'def compute_total_area'));
  });

  test('a wrong argument type is an isError result', async () => {
    const result = await call('search_code', { terms: 'area', limit: 'ten' });
    assert.equal(result.isError, true);
    assert.match(result.content[0].text, /limit/);
  });

  test('an unknown tool is JSON-RPC error -32602', async () => {
    await assert.rejects(call('no_such_tool', {}), error => {
      assert.ok(error instanceof McpError, String(error));
      assert.equal(error.code, ErrorCode.InvalidParams);
      return true;
    });
  });

  test('terminateSession ends the session; the old id gets 404 and a new client works', async () => {
    const old = await connectHttp(authority);
    const oldId = old.transport.sessionId;
    await old.transport.terminateSession();
    await old.client.close();
    const raw = await fetch(`http://${authority}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream',
                 'mcp-session-id': oldId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    assert.equal(raw.status, 404);
    const fresh = await connectHttp(authority);
    assert.notEqual(fresh.transport.sessionId, oldId);
    await fresh.client.ping();
    await fresh.client.close();
  });
});

describe('cci mcp-server --listen with --token-file', () => {
  let repo;
  let home;
  let server;
  let authority;
  const token = 'e2e-token-0123456789abcdef';

  before(async () => {
    repo = makeTempDir('http-token-repo');
    home = makeTempDir('http-token-home');
    writeTree(repo, FIXTURE);
    const tokenFile = path.join(home, 'token');
    fs.writeFileSync(tokenFile, `${token}\n`);
    server = startListening({ cwd: repo, home, extraArgs: ['--token-file', tokenFile] });
    authority = await server.ready;
    assert.match(server.stderr(), /\(token required\)/);
  });

  after(async () => {
    await server?.stop();
    removeDir(repo);
    removeDir(home);
  });

  test('without the token: 401 with WWW-Authenticate', async () => {
    const res = await fetch(`http://${authority}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize',
                             params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
    });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  test('with the token through requestInit headers: the SDK client works', async () => {
    const { client } = await connectHttp(authority, { headers: { Authorization: `Bearer ${token}` } });
    const { tools } = await client.listTools();
    assert.ok(tools.length > 0);
    await client.close();
  });
});

describe('cci mcp-server --listen refusals', () => {
  test('a non-loopback host without a token exits 2', async () => {
    const home = makeTempDir('http-refuse');
    const child = spawn(CCI_BINARY, ['mcp-server', '--listen', '0.0.0.0:0'],
                        { env: { ...process.env, CCI_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', c => { stderr += c.toString(); });
    const code = await new Promise(resolve => child.on('exit', resolve));
    assert.equal(code, 2);
    assert.match(stderr, /token/);
    removeDir(home);
  });

  test('a port in use exits 2', async () => {
    const home = makeTempDir('http-busy');
    const first = startListening({ cwd: home, home });
    const busy = await first.ready;
    const child = spawn(CCI_BINARY, ['mcp-server', '--listen', busy],
                        { env: { ...process.env, CCI_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', c => { stderr += c.toString(); });
    const code = await new Promise(resolve => child.on('exit', resolve));
    assert.equal(code, 2);
    assert.match(stderr, /in use/i);
    await first.stop();
    removeDir(home);
  });
});
