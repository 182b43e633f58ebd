// tests/e2e/sdk/stdio.test.mjs — `cci mcp-server` driven by the official MCP TypeScript SDK over
// stdio, spawned the way Claude Desktop spawns it: handshake, tool/resource/prompt listings,
// every tool against a fixture repository with known answers (structuredContent validated by the
// SDK against each tool's strict outputSchema), progress, cancellation, argument errors; then,
// with raw bytes on the child's stdin, malformed and oversized input and what the server sends
// after notifications/cancelled.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  AjvJsonSchemaValidator,
  ErrorCode,
  FIXTURE,
  INITIALIZE_PARAMS,
  McpError,
  RawServer,
  connect,
  lineOf,
  makeTempDir,
  removeDir,
  runCli,
  structured,
  writeLargeRepo,
  writeTree,
} from './helpers.mjs';

const EXPECTED_TOOLS = [
  'index_codebase', 'search_code', 'query_important_code', 'get_project_stats', 'list_indexed_projects',
  'manage_cache', 'get_ignore_patterns', 'find_definition', 'find_references', 'find_callees',
  'get_file_outline', 'get_codebase_overview', 'get_index_status', 'search_text',
];

// Paths of the object schemas in an outputSchema that admit undeclared properties. The client
// validates every structuredContent against the schema (listTools caches the validators), so with
// all of them closed any field a tool returns without declaring it fails the calls below.
function openObjectSchemas(schema, path = '(root)') {
  if (!schema || typeof schema !== 'object') return [];
  const open = [];
  const extra = schema.additionalProperties;
  const closed = extra === false || (typeof extra === 'object' && schema.properties === undefined);
  if (schema.type === 'object' && !closed) open.push(path);
  for (const [name, sub] of Object.entries(schema.properties ?? {})) open.push(...openObjectSchemas(sub, `${path}.${name}`));
  if (schema.items) open.push(...openObjectSchemas(schema.items, `${path}[]`));
  if (typeof extra === 'object') open.push(...openObjectSchemas(extra, `${path}.*`));
  return open;
}

const SHAPES_PY = 'pkg/shapes.py';
const REPORT_PY = 'pkg/report.py';

describe('cci mcp-server over stdio (official TypeScript SDK client)', () => {
  let repo;
  let home;
  let session;
  let tools;
  const toolByName = new Map();

  const call = (name, args = {}, options) => session.client.callTool({ name, arguments: args }, undefined, options);

  before(async () => {
    repo = makeTempDir('repo');
    home = makeTempDir('home');
    writeTree(repo, FIXTURE);
    session = await connect({ cwd: repo, home });
  });

  after(async () => {
    await session?.client.close();
    removeDir(repo);
    removeDir(home);
  });

  test('initialize: server identity, version and capabilities', () => {
    const { client } = session;
    const info = client.getServerVersion();
    assert.equal(info.name, 'cci');
    assert.equal(info.title, 'claude-code-indexer');
    const cli = runCli(['--version'], { home, cwd: repo });
    assert.equal(cli.status, 0);
    assert.equal(`cci ${info.version}`, cli.stdout.trim(), 'serverInfo.version is the binary version');
    const caps = client.getServerCapabilities();
    assert.ok(caps.tools, 'tools capability');
    assert.ok(caps.resources, 'resources capability');
    assert.ok(caps.prompts, 'prompts capability');
    const instructions = client.getInstructions();
    assert.equal(typeof instructions, 'string');
    for (const tool of ['index_codebase', 'search_code', 'find_definition', 'find_references']) {
      assert.ok(instructions.includes(tool), `instructions mention ${tool}`);
    }
  });

  test('tools/list: every tool is described and its schemas compile', async () => {
    const result = await session.client.listTools();
    tools = result.tools;
    for (const tool of tools) toolByName.set(tool.name, tool);
    assert.deepEqual([...toolByName.keys()].sort(), [...EXPECTED_TOOLS].sort());
    const ajv = new AjvJsonSchemaValidator();
    for (const tool of tools) {
      assert.match(tool.name, /^[A-Za-z0-9_.-]{1,128}$/);
      assert.equal(typeof tool.description, 'string', `${tool.name}: description`);
      assert.ok(tool.description.length >= 20, `${tool.name}: a description that helps a model`);
      const schema = tool.inputSchema;
      assert.equal(schema.type, 'object', `${tool.name}: inputSchema.type`);
      const properties = schema.properties ?? {};
      assert.equal(typeof properties, 'object', `${tool.name}: properties is an object`);
      for (const required of schema.required ?? []) {
        assert.ok(required in properties, `${tool.name}: required "${required}" is a property`);
      }
      for (const [prop, sub] of Object.entries(properties)) {
        assert.ok(sub.description, `${tool.name}.${prop}: described`);
      }
      assert.doesNotThrow(() => ajv.getValidator(schema), `${tool.name}: inputSchema compiles`);
      assert.ok(tool.outputSchema, `${tool.name}: outputSchema`);
      assert.equal(tool.outputSchema.type, 'object', `${tool.name}: outputSchema.type`);
      assert.doesNotThrow(() => ajv.getValidator(tool.outputSchema), `${tool.name}: outputSchema compiles`);
      assert.deepEqual(openObjectSchemas(tool.outputSchema), [], `${tool.name}: every object schema is closed`);
    }
    // Query tools are safe to retry: clients only auto-retry read-only/idempotent tools.
    for (const name of ['search_code', 'find_definition', 'find_references', 'get_file_outline', 'search_text']) {
      assert.equal(toolByName.get(name).annotations?.readOnlyHint, true, `${name}: readOnlyHint`);
    }
  });

  test('before indexing: a query tool says to run index_codebase', async () => {
    const result = await call('search_code', { terms: 'compute total area' });
    assert.equal(result.isError, true);
    assert.match(result.content[0].text, /index_codebase/);
  });

  test('index_codebase reports increasing progress and the indexed counts', async () => {
    const progress = [];
    const result = await call('index_codebase', {}, { onprogress: p => progress.push(p) });
    const data = structured(result, 'index_codebase');
    assert.ok(progress.length >= 1, 'at least one notifications/progress');
    for (let i = 1; i < progress.length; i++) {
      assert.ok(progress[i].progress > progress[i - 1].progress,
                `progress must increase: ${JSON.stringify(progress.map(p => p.progress))}`);
    }
    for (const p of progress) if (p.total !== undefined) assert.ok(p.progress <= p.total, JSON.stringify(p));
    assert.equal(data.root, repo);
    // 7 fixture files; generated/ is ignored through .cciignore.
    assert.deepEqual(data.files, { total: 7, parsed: 7, unchanged: 0, removed: 0, partial: 0 });
    assert.deepEqual(data.files_by_language, { python: 4, javascript: 2, c: 1 });
    assert.equal(data.ignored, 1);
    assert.ok(data.symbols > 0 && data.edges > 0);

    // A second run is incremental and re-parses nothing.
    const again = structured(await call('index_codebase', {}), 'index_codebase');
    assert.equal(again.files.parsed, 0);
    assert.equal(again.files.unchanged, 7);
    assert.equal(again.symbols, data.symbols);
  });

  test('search_code: the known function is the top hit', async () => {
    const data = structured(await call('search_code', { terms: 'compute total area', limit: 2 }), 'search_code');
    assert.equal(data.results.length, 2, 'limit honoured');
    const top = data.results[0];
    assert.equal(top.name, 'compute_total_area');
    assert.equal(top.qualified_name, 'pkg.shapes.compute_total_area');
    assert.equal(top.kind, 'function');
    assert.equal(top.path, SHAPES_PY);
    assert.equal(top.line, lineOf(SHAPES_PY, 'def compute_total_area'));
    assert.equal(data.truncated, true);
    assert.equal(data.next_offset, 2);
    assert.match(top.id, /^[0-9]+$/);

    const none = structured(await call('search_code', { terms: 'never indexed function' }), 'search_code');
    assert.ok(!none.results.some(r => r.path.startsWith('generated/')), 'ignored files stay out');
  });

  test('find_definition: file, line, signature and doc', async () => {
    const result = await call('find_definition', { name: 'compute_total_area' });
    const data = structured(result, 'find_definition');
    assert.equal(data.definitions.length, 1);
    const def = data.definitions[0];
    assert.equal(def.path, SHAPES_PY);
    assert.equal(def.line, lineOf(SHAPES_PY, 'def compute_total_area'));
    assert.equal(def.end_line, lineOf(SHAPES_PY, 'return total'));
    assert.equal(def.signature, 'def compute_total_area(shapes)');
    assert.equal(def.doc, 'Sum the area of every shape.');
    assert.equal(def.callers, 2);
    assert.ok(result.content[0].text.includes(`${SHAPES_PY}:${def.line}`), result.content[0].text);

    // The id from a result finds the same symbol, and include_body returns its source lines.
    const byId = structured(await call('find_definition', { name: def.id, include_body: true }), 'find_definition');
    assert.equal(byId.definitions[0].qualified_name, 'pkg.shapes.compute_total_area');
    assert.match(byId.definitions[0].body.text, /for shape in shapes:/);
  });

  test('find_definition: an unknown name is an isError result that suggests a similar name', async () => {
    const result = await call('find_definition', { name: 'compute_totl_area' });
    assert.equal(result.isError, true);
    assert.match(result.content[0].text, /compute_total_area/);
  });

  test('find_references: the known callers with their resolution kinds', async () => {
    const data = structured(await call('find_references', { name: 'compute_total_area' }), 'find_references');
    const refs = data.references
      .map(r => ({ path: r.path, line: r.line, caller: r.from.qualified_name, kind: r.kind, resolution: r.resolution }))
      .sort((a, b) => a.path.localeCompare(b.path));
    assert.deepEqual(refs, [
      { path: 'main.py', line: lineOf('main.py', 'return compute_total_area('), caller: 'main.main', kind: 'calls',
        resolution: 'import' },
      { path: REPORT_PY, line: lineOf(REPORT_PY, 'total = compute_total_area('), caller: 'pkg.report.print_report',
        kind: 'calls', resolution: 'import' },
    ]);
    assert.deepEqual(data.unresolved, []);
  });

  test('find_references: subclasses through inheritance (Python and JavaScript)', async () => {
    const py = structured(await call('find_references', { name: 'pkg.shapes.Shape' }), 'find_references');
    assert.deepEqual(py.references.map(r => [r.from.qualified_name, r.kind, r.line]).sort(), [
      ['pkg.shapes.Circle', 'inherits', lineOf(SHAPES_PY, 'class Circle')],
      ['pkg.shapes.Square', 'inherits', lineOf(SHAPES_PY, 'class Square')],
    ]);
    const js = structured(await call('find_references', { name: 'BaseHandler' }), 'find_references');
    const sub = js.references.find(r => r.kind === 'inherits');
    assert.ok(sub, JSON.stringify(js.references));
    assert.match(sub.from.qualified_name, /JsonHandler$/);
    assert.equal(sub.path, 'web/parser.js');
  });

  test('find_callees: resolved targets and unresolved names', async () => {
    const data = structured(await call('find_callees', { name: 'print_report' }), 'find_callees');
    const byName = Object.fromEntries(data.callees.map(c => [c.name, c]));
    assert.deepEqual(Object.keys(byName).sort(), ['build_shapes', 'compute_total_area', 'format_report', 'print']);
    assert.equal(byName.compute_total_area.resolution, 'import');
    assert.equal(byName.compute_total_area.target_symbol.path, SHAPES_PY);
    assert.equal(byName.build_shapes.resolution, 'local');
    assert.equal(byName.print.resolution, 'unresolved', 'a builtin is never bound to a guess');
    assert.equal(byName.print.target_symbol, undefined);

    const c = structured(await call('find_callees', { name: 'checksum_buffer' }), 'find_callees');
    assert.deepEqual(c.callees.map(x => [x.name, x.line, x.target_symbol?.path]),
                     [['rotate_bits', lineOf('native/checksum.c', 'sum = rotate_bits('), 'native/checksum.c']]);
  });

  test('get_file_outline: symbols in source order, nested, with line ranges', async () => {
    const data = structured(await call('get_file_outline', { path: SHAPES_PY }), 'get_file_outline');
    assert.equal(data.path, SHAPES_PY);
    assert.equal(data.language, 'python');
    assert.deepEqual(data.symbols.map(s => [s.depth, s.kind, s.name]), [
      [0, 'class', 'Shape'], [1, 'method', 'area'],
      [0, 'class', 'Circle'], [1, 'method', '__init__'], [1, 'method', 'area'],
      [0, 'class', 'Square'], [1, 'method', '__init__'], [1, 'method', 'area'],
      [0, 'function', 'compute_total_area'],
    ]);
    const circle = data.symbols[2];
    assert.equal(circle.line, lineOf(SHAPES_PY, 'class Circle'));
    assert.equal(circle.end_line, lineOf(SHAPES_PY, 'return 3.14159'));

    const outside = await call('get_file_outline', { path: '../../etc/passwd' });
    assert.equal(outside.isError, true, 'a path outside the root is refused');
  });

  test('get_codebase_overview: languages, directories and key symbols', async () => {
    const data = structured(await call('get_codebase_overview', {}), 'get_codebase_overview');
    assert.deepEqual(data.languages, [
      { language: 'python', files: 4 }, { language: 'javascript', files: 2 }, { language: 'c', files: 1 },
    ]);
    assert.equal(data.files, 7);
    assert.deepEqual(data.directories.map(d => d.path).sort(), ['.', 'native', 'pkg', 'web']);
    assert.ok(data.entry_points.some(e => e.qualified_name === 'main.main'), JSON.stringify(data.entry_points));
    assert.equal(data.top_symbols[0].qualified_name, 'pkg.shapes.Shape', 'the base class ranks first');
  });

  test('get_index_status: fresh, then the changed files', async () => {
    const data = structured(await call('get_index_status', {}), 'get_index_status');
    assert.equal(data.project, repo);
    assert.equal(data.fresh, true);
    assert.equal(data.files_indexed, 7);
    assert.deepEqual([data.changed.new, data.changed.modified, data.changed.deleted], [0, 0, 0]);

    fs.writeFileSync(path.join(repo, 'extra.py'), 'def extra():\n    return 1\n');
    try {
      const stale = structured(await call('get_index_status', {}), 'get_index_status');
      assert.equal(stale.fresh, false);
      assert.deepEqual(stale.changed.new_paths, ['extra.py']);
    } finally {
      fs.rmSync(path.join(repo, 'extra.py'));
    }
  });

  test('search_text: a literal with its file and line', async () => {
    const data = structured(await call('search_text', { query: 'TOTAL_MARKER_9F3' }), 'search_text');
    const line = lineOf(REPORT_PY, 'TOTAL_MARKER_9F3');
    const column = FIXTURE[REPORT_PY].split('\n')[line - 1].indexOf('TOTAL_MARKER_9F3') + 1;
    assert.deepEqual(data.matches.map(m => [m.path, m.line, m.column]), [[REPORT_PY, line, column]]);
    assert.match(data.matches[0].text, /return "TOTAL_MARKER_9F3/);
    const regex = structured(await call('search_text', { query: 'rotate_bits\\(', regex: true }), 'search_text');
    assert.equal(regex.matches.length, 2, JSON.stringify(regex.matches));
  });

  test('query_important_code: ranked symbols of the fixture', async () => {
    const data = structured(await call('query_important_code', { limit: 5 }), 'query_important_code');
    assert.equal(data.results.length, 5);
    assert.equal(data.results[0].qualified_name, 'pkg.shapes.Shape');
    for (let i = 1; i < data.results.length; i++) {
      assert.ok(data.results[i - 1].importance >= data.results[i].importance, 'ordered by importance');
    }
    for (const r of data.results) assert.ok(r.path in FIXTURE, `${r.path} is a fixture file`);
    const functions = structured(await call('query_important_code', { node_type: 'function', limit: 50 }),
                                 'query_important_code');
    assert.ok(functions.results.every(r => r.kind === 'function'));
    assert.ok(functions.results.some(r => r.name === 'compute_total_area'));
  });

  test('get_project_stats: the same counts as `cci stats`', async () => {
    const data = structured(await call('get_project_stats', {}), 'get_project_stats');
    const cli = runCli(['stats', '--json'], { home, cwd: repo });
    assert.equal(cli.status, 0, cli.stderr);
    const expected = JSON.parse(cli.stdout);
    assert.equal(data.files, 7);
    for (const key of ['files', 'symbols', 'edges', 'unresolved_edges', 'files_by_language', 'symbols_by_kind',
                       'edges_by_kind', 'edges_by_resolution']) {
      assert.deepEqual(data[key], expected[key], key);
    }
    assert.equal(data.root, repo);
  });

  test('list_indexed_projects: includes the fixture', async () => {
    const data = structured(await call('list_indexed_projects', {}), 'list_indexed_projects');
    const mine = data.projects.filter(p => p.root === repo);
    assert.equal(mine.length, 1, JSON.stringify(data));
    assert.equal(mine[0].files, 7);
    assert.equal(mine[0].exists, true);
  });

  test('get_ignore_patterns: defaults and .cciignore', async () => {
    const data = structured(await call('get_ignore_patterns', {}), 'get_ignore_patterns');
    const byOrigin = Object.fromEntries(data.sources.map(s => [s.origin, s.patterns]));
    assert.ok(byOrigin.defaults.includes('node_modules/'));
    assert.deepEqual(byOrigin['.cciignore'], ['generated/']);
  });

  test('manage_cache: statistics, then clear', async () => {
    const stats = structured(await call('manage_cache', { action: 'stats' }), 'manage_cache');
    assert.ok(stats.total_connections >= 1, JSON.stringify(stats));
    assert.ok(stats.connections.some(c => c.root === repo));
    const cleared = structured(await call('manage_cache', { action: 'clear' }), 'manage_cache');
    assert.equal(cleared.closed, stats.total_connections);
    // Queries reopen what was closed.
    structured(await call('find_definition', { name: 'format_report' }), 'find_definition');
  });

  test('resources: list, and read a cci://file/ URI', async () => {
    const { resources } = await session.client.listResources();
    const uris = resources.map(r => r.uri);
    assert.ok(uris.includes('cci://file/pkg/shapes.py'), JSON.stringify(uris));
    const { contents } = await session.client.readResource({ uri: 'cci://file/pkg/shapes.py' });
    assert.equal(contents.length, 1);
    assert.equal(contents[0].uri, 'cci://file/pkg/shapes.py');
    assert.equal(contents[0].text, FIXTURE['pkg/shapes.py']);
  });

  test('prompts: list, and get orient', async () => {
    const { prompts } = await session.client.listPrompts();
    const names = prompts.map(p => p.name);
    for (const name of ['orient', 'explain_symbol']) assert.ok(names.includes(name), JSON.stringify(names));
    for (const p of prompts) assert.ok(p.description, `${p.name}: description`);
    const orient = await session.client.getPrompt({ name: 'orient', arguments: {} });
    assert.ok(orient.messages.length >= 1);
    for (const m of orient.messages) {
      assert.ok(['user', 'assistant'].includes(m.role));
      assert.ok(m.content.type === 'text' ? m.content.text.length > 0 : m.content.type === 'resource');
    }
  });

  test('a wrong argument type is an isError result naming the argument', async () => {
    const result = await call('search_code', { terms: 'area', limit: 'ten' });
    assert.equal(result.isError, true);
    assert.match(result.content[0].text, /limit/);
  });

  test('an unknown tool is JSON-RPC error -32602', async () => {
    await assert.rejects(call('no_such_tool', {}), error => {
      assert.ok(error instanceof McpError, String(error));
      assert.equal(error.code, ErrorCode.InvalidParams);
      assert.match(error.message, /no_such_tool/);
      return true;
    });
  });

  test('cancellation: an aborted index_codebase stops; the server keeps answering', async () => {
    const big = makeTempDir('big');
    try {
      writeLargeRepo(big, 3000, 10);
      const controller = new AbortController();
      const errorsBefore = session.errors.length;
      let progressCount = 0;
      const pending = call('index_codebase', { project_path: big, force: true }, {
        signal: controller.signal,
        onprogress: () => {
          if (progressCount++ === 0) controller.abort();
        },
      });
      await assert.rejects(pending, error => {
        assert.match(`${error.name} ${error.message}`, /AbortError|abort/i, String(error));
        return true;
      });
      assert.ok(progressCount >= 1, 'aborted after the first progress notification');
      await session.client.ping();
      const search = structured(await call('search_code', { terms: 'compute total area', limit: 1 }), 'search_code');
      assert.equal(search.results[0].name, 'compute_total_area');
      // The run stopped and committed nothing: well after it would have finished (a full index of
      // this repository takes seconds), the big repository is still not an indexed project.
      await new Promise(resolve => setTimeout(resolve, 3000));
      const status = await call('get_index_status', { project_path: big });
      assert.equal(status.isError, true, `cancelled index must not be committed: ${JSON.stringify(status)}`);
      assert.match(status.content[0].text, /index_codebase/);
      const projects = structured(await call('list_indexed_projects', {}), 'list_indexed_projects');
      assert.deepEqual(projects.projects.map(p => p.root), [repo]);
      // Progress the server sent before it read notifications/cancelled is still on the wire and the
      // SDK reports it as "unknown token": an allowed race (the raw test below checks that it stops).
      const late = session.errors.splice(errorsBefore).filter(e => !/progress notification for an unknown token/.test(e));
      session.errors.push(...late);
    } finally {
      removeDir(big);
    }
  });

  test('no client-side protocol errors and nothing but JSON-RPC on stdout', () => {
    assert.deepEqual(session.errors.map(String), []);
  });
});

describe('cci mcp-server with raw bytes on stdin', () => {
  let repo;
  let home;
  before(() => {
    repo = makeTempDir('raw-repo');
    home = makeTempDir('raw-home');
    writeTree(repo, FIXTURE);
  });
  after(() => {
    removeDir(repo);
    removeDir(home);
  });

  test('malformed JSON gets -32700 with id null', async () => {
    const server = new RawServer({ cwd: repo, home });
    try {
      await server.write('{bad json\n');
      const error = await server.next(m => m.error);
      assert.equal(error.jsonrpc, '2.0');
      assert.equal(error.id, null);
      assert.equal(error.error.code, -32700);
      // The session survives: initialize still works.
      await server.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: INITIALIZE_PARAMS });
      const init = await server.next(m => m.id === 1);
      assert.equal(init.result?.protocolVersion, '2025-11-25', JSON.stringify(init));
      assert.deepEqual(server.badLines, [], 'stdout carries JSON-RPC only');
    } finally {
      const { code } = await server.close();
      assert.equal(code, 0, `exit on end of input: ${server.stderr}`);
    }
  });

  test('an oversized message gets -32600 and the session goes on', async () => {
    const server = new RawServer({ args: ['mcp-server', '--max-message-bytes', '1048576'], cwd: repo, home });
    try {
      const huge = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping', params: { pad: 'x'.repeat(20 << 20) } });
      await server.write(`${huge}\n`);
      const error = await server.next(m => m.error, { timeoutMs: 30000 });
      assert.equal(error.error.code, -32600, JSON.stringify(error));
      const from = server.messages.length;
      await server.send({ jsonrpc: '2.0', id: 8, method: 'initialize', params: INITIALIZE_PARAMS });
      const init = await server.next(m => m.id === 8, { from });
      assert.ok(init.result?.serverInfo, JSON.stringify(init));
      await server.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      await server.send({ jsonrpc: '2.0', id: 9, method: 'ping' });
      assert.deepEqual((await server.next(m => m.id === 9, { from })).result, {});
      assert.deepEqual(server.badLines, [], 'stdout carries JSON-RPC only');
    } finally {
      await server.close();
    }
  });

  test('notifications/cancelled stops index_codebase: no more progress, no response, nothing committed', async () => {
    const big = makeTempDir('raw-big');
    const server = new RawServer({ cwd: repo, home });
    try {
      writeLargeRepo(big, 3000, 10);
      await server.initialize();
      await server.send({ jsonrpc: '2.0', id: 2, method: 'tools/call',
                          params: { name: 'index_codebase', arguments: { project_path: big, force: true },
                                    _meta: { progressToken: 'big' } } });
      const isProgress = m => m.method === 'notifications/progress' && m.params?.progressToken === 'big';
      await server.next(isProgress, { timeoutMs: 30000 });
      await server.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2, reason: 'test' } });
      const cancelledAt = Date.now();
      // Well past the time a full run takes: anything the run still sends shows it was not stopped.
      await new Promise(resolve => setTimeout(resolve, 3000));
      const lateProgress = server.messages.filter((m, i) => isProgress(m) && server.arrivals[i] > cancelledAt + 500);
      assert.deepEqual(lateProgress, [], 'progress more than 500 ms after the cancellation');
      assert.deepEqual(server.messages.filter(m => m.id === 2), [], 'no response to a cancelled request');
      await server.send({ jsonrpc: '2.0', id: 3, method: 'ping' });
      assert.deepEqual((await server.next(m => m.id === 3)).result, {});
      await server.send({ jsonrpc: '2.0', id: 4, method: 'tools/call',
                          params: { name: 'get_index_status', arguments: { project_path: big } } });
      const status = await server.next(m => m.id === 4);
      assert.equal(status.result?.isError, true, `the cancelled run committed an index: ${JSON.stringify(status)}`);
    } finally {
      await server.close();
      removeDir(big);
    }
  });

  test('`cci mcp serve --stdio` is the same server', async () => {
    const server = new RawServer({ args: ['mcp', 'serve', '--stdio'], cwd: repo, home });
    try {
      await server.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: INITIALIZE_PARAMS });
      const init = await server.next(m => m.id === 1);
      assert.equal(init.result?.serverInfo?.name, 'cci');
    } finally {
      await server.close();
    }
  });

  test('--project sets the default project', async () => {
    const elsewhere = makeTempDir('elsewhere');
    const { client } = await connect({ cwd: elsewhere, home, args: ['mcp-server', '--project', repo, '--workers', '2'] });
    try {
      const data = structured(await client.callTool({ name: 'index_codebase', arguments: {} }), 'index_codebase');
      assert.equal(data.root, repo);
    } finally {
      await client.close();
      removeDir(elsewhere);
    }
  });

  test('usage errors go to stderr with exit code 2, stdout stays empty', () => {
    for (const args of [['mcp-server', '--workers', 'many'], ['mcp-server', '--max-message-bytes', '0'], ['mcp', 'serve'],
                        ['mcp-server', '--project', path.join(repo, 'no-such-dir')]]) {
      const r = runCli(args, { home, cwd: repo });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', `${args.join(' ')}: nothing on stdout`);
      assert.ok(r.stderr.length > 0);
    }
  });
});
