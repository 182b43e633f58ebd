// tests/e2e/sdk/ws.test.mjs — `cci mcp-server --listen` driven by the official MCP TypeScript
// SDK's WebSocketClientTransport (subprotocol "mcp", one message per frame): handshake, tools,
// progress, argument errors, and the token passed as ?access_token= (WebSocket clients cannot
// set headers).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
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
import { startListening } from './listen.mjs';

const { WebSocketClientTransport } = await import('@modelcontextprotocol/sdk/client/websocket.js');

async function connectWs(url) {
  const transport = new WebSocketClientTransport(new URL(url));
  const client = new Client({ name: 'cci-e2e-ws', version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  return { client, transport };
}

if (typeof globalThis.WebSocket === 'undefined') {
  // Node 20 has the WebSocket global (which the SDK transport uses) only behind a flag; Node 22
  // enables it by default. Run this file again with the flag and report its result.
  test('WebSocket tests (re-run with --experimental-websocket)', () => {
    const r = spawnSync(process.execPath, ['--experimental-websocket', '--test', '--test-reporter=spec',
                                           fileURLToPath(import.meta.url)],
                        { env: process.env, encoding: 'utf8', timeout: 240000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  });
} else {
  describe('cci mcp-server --listen over WebSocket (official TypeScript SDK client)', () => {
    let repo;
    let home;
    let server;
    let authority;
    let session;

    const call = (name, args = {}, options) => session.client.callTool({ name, arguments: args }, undefined, options);

    before(async () => {
      repo = makeTempDir('ws-repo');
      home = makeTempDir('ws-home');
      writeTree(repo, FIXTURE);
      server = startListening({ cwd: repo, home });
      authority = await server.ready;
      session = await connectWs(`ws://${authority}/`);
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

    test('initialize and tools/list', async () => {
      assert.equal(session.client.getServerVersion().name, 'cci');
      const { tools } = await session.client.listTools();
      assert.ok(tools.some(t => t.name === 'search_code'));
    });

    test('index_codebase with progress, then search_code finds the known function first', async () => {
      const progress = [];
      const data = structured(await call('index_codebase', {}, { onprogress: p => progress.push(p) }), 'index_codebase');
      assert.ok(progress.length >= 1, 'notifications/progress over the socket');
      assert.equal(data.files.total, 7);
      const found = structured(await call('search_code', { terms: 'compute total area', limit: 2 }), 'search_code');
      assert.equal(found.results[0].qualified_name, 'pkg.shapes.compute_total_area');
      assert.equal(found.results[0].line, lineOf('pkg/shapes.py', 'def compute_total_area'));
    });

    test('a wrong argument type is an isError result', async () => {
      const result = await call('search_code', { terms: 'area', limit: 'ten' });
      assert.equal(result.isError, true);
    });

    test('an unknown tool is JSON-RPC error -32602', async () => {
      await assert.rejects(call('no_such_tool', {}), error => {
        assert.ok(error instanceof McpError, String(error));
        assert.equal(error.code, ErrorCode.InvalidParams);
        return true;
      });
    });

    test('a second connection on /mcp is a separate session', async () => {
      const other = await connectWs(`ws://${authority}/mcp`);
      await other.client.ping();
      await other.client.close();
    });
  });

  describe('WebSocket with --token-file', () => {
    let repo;
    let home;
    let server;
    let authority;
    const token = 'ws-token-abcdef0123456789';

    before(async () => {
      repo = makeTempDir('ws-token-repo');
      home = makeTempDir('ws-token-home');
      const tokenFile = path.join(home, 'token');
      fs.writeFileSync(tokenFile, token);
      server = startListening({ cwd: repo, home, extraArgs: ['--token-file', tokenFile] });
      authority = await server.ready;
    });

    after(async () => {
      await server?.stop();
      removeDir(repo);
      removeDir(home);
    });

    test('without the token the upgrade fails; ?access_token= works', async () => {
      await assert.rejects(connectWs(`ws://${authority}/`));
      const { client } = await connectWs(`ws://${authority}/?access_token=${token}`);
      await client.ping();
      await client.close();
    });
  });
}
