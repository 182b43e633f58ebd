// tests/e2e/sdk/proxy.test.mjs — `cci mcp-proxy` spawned by the official MCP TypeScript SDK over
// stdio exactly as Claude Desktop spawns it, bridged to the persistent daemon: with the daemon
// already running, not running (the proxy starts it), killed and restarted mid-session (the
// session goes on, nothing hangs), and impossible to start (in-process fallback); many proxies
// at once against one daemon; and the daemon's network security (token, Origin, paths).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { CCI_BINARY, FIXTURE, connect, lineOf, makeTempDir, removeDir, runCli, structured, writeLargeRepo, writeTree } from './helpers.mjs';

const daemonsStarted = new Set();  // pids to kill whatever happens

function daemonState(home) {
  const file = path.join(home, 'daemon.json');
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;  // being rewritten
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what, predicate, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 25));
  }
}

function startDaemon(home, port = 0) {
  const r = runCli(['mcp-daemon', 'start', '--port', String(port)], { home, cwd: home });
  assert.equal(r.status, 0, `mcp-daemon start failed: ${r.stdout}${r.stderr}`);
  const state = daemonState(home);
  assert.ok(state && state.pid > 0 && state.port > 0, `no daemon.json after start: ${JSON.stringify(state)}`);
  daemonsStarted.add(state.pid);
  return state;
}

function stopDaemon(home) {
  const state = daemonState(home);
  runCli(['mcp-daemon', 'stop'], { home, cwd: home });
  if (state && alive(state.pid)) process.kill(state.pid, 'SIGKILL');
}

// Pids of `cci mcp-daemon` processes whose CCI_HOME is `home` (other tests run daemons too).
function daemonProcesses(home) {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (fs.readlinkSync(`/proc/${entry}/exe`) !== fs.realpathSync(CCI_BINARY) || !args.includes('mcp-daemon')) continue;
      const env = fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (env.includes(`CCI_HOME=${home}`)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

async function freePort() {
  const server = net.createServer();
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise(resolve => server.close(resolve));
  return port;
}

async function viaProxy({ repo, home, url, extraArgs = [] }) {
  const session = await connect({ cwd: repo, home, args: ['mcp-proxy', ...extraArgs], env: { MCP_SERVER_URL: url } });
  const call = (name, args = {}, options) => session.client.callTool({ name, arguments: args }, undefined, options);
  return { ...session, call };
}

// The answer every path must give: where compute_total_area is defined.
async function assertDefinitionFound(call) {
  const result = structured(await call('find_definition', { name: 'compute_total_area' }), 'find_definition');
  assert.equal(result.definitions.length, 1, JSON.stringify(result).slice(0, 500));
  const def = result.definitions[0];
  assert.equal(def.path, 'pkg/shapes.py');
  assert.equal(def.line, lineOf('pkg/shapes.py', 'def compute_total_area'));
}

function httpRequest(port, { method = 'POST', pathName = '/mcp', headers = {}, body } = {}) {
  return fetch(`http://127.0.0.1:${port}${pathName}`, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body,
  });
}

const INIT_BODY = JSON.stringify({
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'sec', version: '1' } },
});

describe('cci mcp-proxy bridged to the daemon (official TypeScript SDK client)', () => {
  let repo;
  const homes = [];

  const newHome = () => {
    const home = makeTempDir('home');
    homes.push(home);
    const r = runCli(['index', repo], { home, cwd: repo });
    assert.equal(r.status, 0, `index failed: ${r.stderr}`);
    return home;
  };

  before(() => {
    repo = makeTempDir('repo');
    writeTree(repo, FIXTURE);
  });

  after(() => {
    for (const home of homes) stopDaemon(home);
    for (const pid of daemonsStarted) if (alive(pid)) process.kill(pid, 'SIGKILL');
    removeDir(repo);
    for (const home of homes) removeDir(home);
  });

  test('(a) daemon already running: handshake, tools, answers from the daemon, default project from cwd', async () => {
    const home = newHome();
    const state = startDaemon(home);
    const session = await viaProxy({ repo, home, url: `ws://127.0.0.1:${state.port}/` });
    try {
      const { tools } = await session.client.listTools();
      assert.equal(tools.length, 14);
      for (const t of tools) assert.equal(t.inputSchema.type, 'object');
      await assertDefinitionFound(session.call);
      const search = structured(await session.call('search_code', { terms: 'total area' }), 'search_code');
      assert.ok(search.results.some(r => r.name === 'compute_total_area'));
      // The daemon counts this proxy's session and the calls it served.
      const status = JSON.parse(runCli(['--json', 'mcp-daemon', 'status'], { home, cwd: repo }).stdout);
      assert.equal(status.running, true);
      assert.equal(status.pid, state.pid);
      assert.ok(status.sessions >= 1, `sessions: ${status.sessions}`);
      assert.ok(status.requests_total >= 3, `requests_total: ${status.requests_total}`);
      assert.deepEqual(session.errors, []);
    } finally {
      await session.client.close();
    }
    // Over the Unix socket too.
    const unix = await viaProxy({ repo, home, url: `unix:${path.join(home, 'daemon.sock')}` });
    try {
      await assertDefinitionFound(unix.call);
    } finally {
      await unix.client.close();
    }
    stopDaemon(home);
  });

  test('(b) daemon not running: the proxy starts it and answers', { timeout: 60000 }, async () => {
    const home = newHome();
    const port = await freePort();
    assert.equal(daemonState(home), null);
    const session = await viaProxy({ repo, home, url: `ws://127.0.0.1:${port}` });
    try {
      await assertDefinitionFound(session.call);
      const state = daemonState(home);
      assert.ok(state && alive(state.pid), 'the proxy did not leave a running daemon');
      daemonsStarted.add(state.pid);
      assert.equal(state.port, port);
    } finally {
      await session.client.close();
    }
    // The daemon outlives the proxy: that is the point of it.
    assert.ok(alive(daemonState(home).pid));
    stopDaemon(home);
  });

  test('(c) daemon killed and restarted mid-session: the session continues and no call hangs', { timeout: 90000 }, async () => {
    const home = newHome();
    const first = startDaemon(home);
    const session = await viaProxy({ repo, home, url: `ws://127.0.0.1:${first.port}/` });
    try {
      await assertDefinitionFound(session.call);

      // kill -9: the next call still succeeds (the proxy restarts the daemon, re-initializes).
      process.kill(first.pid, 'SIGKILL');
      await waitFor('the daemon to die', () => !alive(first.pid));
      await assertDefinitionFound(session.call);
      const second = daemonState(home);
      assert.ok(second && second.pid !== first.pid && alive(second.pid), 'no new daemon after kill -9');
      daemonsStarted.add(second.pid);

      // A graceful restart too.
      const r = runCli(['mcp-daemon', 'restart'], { home, cwd: repo });
      assert.equal(r.status, 0, r.stderr);
      const third = daemonState(home);
      daemonsStarted.add(third.pid);
      assert.notEqual(third.pid, second.pid);
      assert.equal(third.port, second.port, 'restart keeps the port');
      await assertDefinitionFound(session.call);

      // A call that is not safe to repeat (index_codebase) in flight when the daemon dies fails
      // promptly with an error instead of hanging until the client's timeout.
      const big = makeTempDir('big');
      writeLargeRepo(big, 400, 40);
      let progressSeen = false;
      const started = Date.now();
      const pending = session.call('index_codebase', { path: big }, {
        onprogress: () => { progressSeen = true; },
        timeout: 60000,
      }).then(result => ({ result }), error => ({ error }));
      await waitFor('indexing to make progress', () => progressSeen, 30000);
      const killedAt = Date.now();
      process.kill(third.pid, 'SIGKILL');
      const outcome = await pending;
      const failedAfter = Date.now() - killedAt;
      assert.ok(outcome.error || outcome.result?.isError,
                `index_codebase should fail when the daemon dies: ${JSON.stringify(outcome.result)?.slice(0, 300)}`);
      assert.ok(failedAfter < 5000, `the in-flight call took ${failedAfter} ms to fail (started ${killedAt - started} ms in)`);
      removeDir(big);

      // ... and the session still works afterwards.
      await assertDefinitionFound(session.call);
      const fourth = daemonState(home);
      if (fourth) daemonsStarted.add(fourth.pid);
      assert.deepEqual(session.errors, []);
    } finally {
      await session.client.close();
    }
    stopDaemon(home);
  });

  test('(d) daemon impossible to start: the proxy serves in-process and says so', { timeout: 60000 }, async () => {
    const home = newHome();
    // Something that is not our daemon holds the port: connecting fails, and so does starting a daemon there.
    const sockets = new Set();
    const squatter = net.createServer(socket => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
    });
    await new Promise(resolve => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address();
    try {
      const session = await viaProxy({ repo, home, url: `ws://127.0.0.1:${port}/` });
      try {
        const { tools } = await session.client.listTools();
        assert.equal(tools.length, 14);
        await assertDefinitionFound(session.call);
        assert.match(session.stderr(), /in-process/);
      } finally {
        await session.client.close();
      }
      assert.equal(daemonState(home), null, 'no daemon may be left behind');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise(resolve => squatter.close(resolve));
    }
  });

  test('many proxies at once against one daemon they race to start', { timeout: 90000 }, async () => {
    const home = newHome();
    const port = await freePort();
    const sessions = await Promise.all(
      Array.from({ length: 8 }, () => viaProxy({ repo, home, url: `ws://127.0.0.1:${port}/` })));
    try {
      await Promise.all(sessions.map(s => assertDefinitionFound(s.call)));
      const state = daemonState(home);
      daemonsStarted.add(state.pid);
      const status = JSON.parse(runCli(['--json', 'mcp-daemon', 'status'], { home, cwd: repo }).stdout);
      assert.equal(status.pid, state.pid);
      assert.ok(status.sessions >= 8, `one daemon serves all eight sessions (sessions: ${status.sessions})`);
      // Exactly one daemon: every other start lost the lock race and exited.
      // The starts that lost the race exit within moments (a loser retries the lock briefly).
      await waitFor(`one daemon process for this home (have ${daemonProcesses(home)}, daemon ${state.pid})`,
                    () => { const pids = daemonProcesses(home); return pids.length === 1 && pids[0] === state.pid; });
    } finally {
      await Promise.all(sessions.map(s => s.client.close()));
    }
    stopDaemon(home);
  });

  test('security: token required, foreign Origin refused, paths outside the project refused', { timeout: 60000 }, async () => {
    const home = newHome();
    const state = startDaemon(home);
    const token = fs.readFileSync(path.join(home, 'daemon.token'), 'utf8').trim();
    assert.equal(fs.statSync(path.join(home, 'daemon.token')).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.join(home, 'daemon.sock')).mode & 0o777, 0o600);

    const noToken = await httpRequest(state.port, { body: INIT_BODY });
    assert.equal(noToken.status, 401);
    const badToken = await httpRequest(state.port, { body: INIT_BODY, headers: { authorization: 'Bearer nope' } });
    assert.equal(badToken.status, 401);
    const badOrigin = await httpRequest(state.port, {
      body: INIT_BODY, headers: { authorization: `Bearer ${token}`, origin: 'https://evil.example' },
    });
    assert.equal(badOrigin.status, 403);
    const ok = await httpRequest(state.port, { body: INIT_BODY, headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    const metrics = await httpRequest(state.port, { method: 'GET', pathName: '/metrics' });
    assert.equal(metrics.status, 401);

    const session = await viaProxy({ repo, home, url: `ws://127.0.0.1:${state.port}/` });
    try {
      const outline = await session.call('get_file_outline', { path: '/etc/passwd' });
      assert.equal(outline.isError, true);
      assert.match(outline.content[0].text, /outside/);
      const escape = await session.call('get_file_outline', { path: '../../../../etc/passwd' });
      assert.equal(escape.isError, true);
      await assert.rejects(session.client.readResource({ uri: 'cci://file/../../../../etc/passwd' }));
    } finally {
      await session.client.close();
    }
    stopDaemon(home);
  });
});
