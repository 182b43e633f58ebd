// tests/e2e/sdk/transcripts.test.mjs — replays the protocol transcripts of tests/mcp/transcripts/
// against the real `cci mcp-server` over stdio, one fresh server per file. The format and the
// matching rules are those of tests/mcp/transcripts/README.md (and tests/mcp/transcript_test.cpp,
// which replays the same files in-process):
//   > {json}   sent verbatim as one line (it may be deliberately malformed)
//   < {json}   wait for a matching message among all unconsumed ones and consume it
//   <? {json}  a message that must arrive at some point before the transcript ends
//   "<any>" matches any value; "<optional>" any value or a missing key; objects need the same keys
// Over a real process two things vary from run to run and are masked: the id of a request the
// server sends the client (a pattern with a method matches any id), and numbers under timing keys
// (`*_ms`, `*_seconds`, `seconds`, `elapsed`, `duration`, `*_at`, `timestamp`). Transcripts marked
// `# requires-tools:` need the in-process test tools and are skipped here.
//
// Each server runs in its own copy of the fixture repository (helpers.mjs), not yet indexed, with
// its own CCI_HOME. CCI_TRANSCRIPT_DIR replays another directory.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { FIXTURE, RawServer, makeTempDir, removeDir, writeTree } from './helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const transcriptDir = path.resolve(process.env.CCI_TRANSCRIPT_DIR ?? path.join(here, '../../mcp/transcripts'));
const TAKE_TIMEOUT_MS = 5000;
const TIMING_KEY = /(_ms|_seconds|^seconds|elapsed|duration|_at|timestamp)$/;

function matches(expected, actual, key = '') {
  if (expected === '<any>' || expected === '<optional>') return true;
  if (typeof expected === 'number') {
    return typeof actual === 'number' && (expected === actual || TIMING_KEY.test(key));
  }
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length &&
           expected.every((e, i) => matches(e, actual[i]));
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false;
    for (const [k, v] of Object.entries(expected)) {
      if (!(k in actual)) {
        if (v !== '<optional>') return false;
      } else if (!matches(v, actual[k], k)) {
        return false;
      }
    }
    return Object.keys(actual).every(k => k in expected);
  }
  return expected === actual;
}

// A request from the server carries an id of the server's choosing.
function matchesMessage(expected, actual) {
  if (expected && typeof expected === 'object' && !Array.isArray(expected) && 'method' in expected &&
      'id' in expected && actual && typeof actual === 'object' && 'id' in actual) {
    return matches({ ...expected, id: actual.id }, actual);
  }
  return matches(expected, actual);
}

function parseTranscript(file) {
  const steps = [];
  let requiresTools = null;
  fs.readFileSync(file, 'utf8').split('\n').forEach((line, index) => {
    const where = `${path.basename(file)}:${index + 1}`;
    if (!line) return;
    if (line.startsWith('#')) {
      const m = /^#\s*requires-tools:\s*(.*)$/.exec(line);
      if (m) requiresTools = m[1].trim();
      return;
    }
    if (line.startsWith('> ')) {
      steps.push({ kind: 'send', text: line.slice(2), where });
      return;
    }
    const m = /^(<\?|<) (.*)$/.exec(line);
    assert.ok(m, `${where}: unknown line kind: ${line}`);
    let json;
    try {
      json = JSON.parse(m[2]);
    } catch (error) {
      assert.fail(`${where}: expectation is not JSON (${error.message})`);
    }
    steps.push({ kind: m[1] === '<' ? 'take' : 'eventually', json, where });
  });
  return { steps, requiresTools };
}

async function replay(file, steps) {
  const repo = makeTempDir('transcript-repo');
  const home = makeTempDir('transcript-home');
  writeTree(repo, FIXTURE);
  const server = new RawServer({ cwd: repo, home });
  const consumed = new Set();  // indexes into server.messages

  // Consumes the first unconsumed message matching `expected`, waiting up to TAKE_TIMEOUT_MS.
  const take = async (expected, where) => {
    const find = () => server.messages.findIndex((m, i) => !consumed.has(i) && matchesMessage(expected, m));
    const deadline = Date.now() + TAKE_TIMEOUT_MS;
    let index = find();
    while (index < 0 && Date.now() < deadline) {
      await server.next(() => true, { from: server.messages.length, timeoutMs: deadline - Date.now() }).catch(() => {});
      index = find();
    }
    const unmatched = server.messages.filter((_, i) => !consumed.has(i));
    assert.ok(index >= 0, `${where}: expected ${JSON.stringify(expected)}\nunmatched: ${JSON.stringify(unmatched)}` +
                          `\nstderr: ${server.stderr.slice(-2000)}`);
    consumed.add(index);
  };

  try {
    const eventually = [];
    for (const step of steps) {
      if (step.kind === 'send') await server.write(`${step.text}\n`);
      else if (step.kind === 'take') await take(step.json, step.where);
      else eventually.push(step);
    }
    for (const step of eventually) await take(step.json, step.where);
    await new Promise(resolve => setTimeout(resolve, 50));
    assert.deepEqual(server.badLines, [], 'stdout carries JSON-RPC only');
    assert.deepEqual(server.messages.filter((_, i) => !consumed.has(i)), [], 'unexpected messages');
  } finally {
    await server.close();
    removeDir(repo);
    removeDir(home);
  }
}

const files = fs.existsSync(transcriptDir)
  ? fs.readdirSync(transcriptDir).filter(f => f.endsWith('.jsonl')).sort()
  : [];

describe('MCP transcripts against cci mcp-server', () => {
  if (files.length === 0) {
    test('replay', { skip: `no transcripts in ${transcriptDir}` }, () => {});
    return;
  }
  for (const name of files) {
    const file = path.join(transcriptDir, name);
    const { steps, requiresTools } = parseTranscript(file);
    const skip = requiresTools ? `needs the in-process test tools (${requiresTools})` : false;
    test(name, { skip, timeout: 120000 }, () => replay(file, steps));
  }
});
