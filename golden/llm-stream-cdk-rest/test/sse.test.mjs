// Tests of the Server-Sent Events framing and parser (src/sse.mjs). The
// parser must give the same events however the network cuts the bytes, so
// a tricky stream is fed to it split at every byte boundary. Run with `npm test`.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatComment, formatEvent, parseSSE, SSEParser } from '../src/sse.mjs';

// Every rule in one stream: a BOM, comments, CRLF, LF and lone-CR line ends
// (also mixed, and CR CR), multi-line data, an empty data line, no space or
// two spaces after the colon, id set, kept, reset and refused (NUL), retry,
// unknown and wrongly cased fields, an event name without data, multi-byte
// characters (2, 3 and 4 bytes), and an unfinished event at the end.
const TRICKY = [
  '\uFEFF: a comment first\r\n',
  'event: greeting\r\n',
  'data: héllo ✓ 😀\r\n',
  'data:  two spaces\r\n',
  'data\r\n',
  'id: 1\r\n',
  '\r\n',
  'data:x\r',
  'retry: 1500\r',
  ':comment\r',
  '\r',
  'event: no-data\n',
  '\n',
  'data: mixed\r\n\n',
  'id\n',
  'data: {"a":"b\\nc"}\n',
  'unknown: field\n',
  'Data: wrong case\n',
  'event\n',
  '\n',
  'id: x\0y\n',
  'data:y\r\r',
  'data: last 🚀\n',
  '\n',
  'data: never dispatched, no blank line follows\n',
].join('');

const TRICKY_EVENTS = [
  { event: 'greeting', data: 'héllo ✓ 😀\n two spaces\n', id: '1' },
  { event: 'message', data: 'x', id: '1' },
  { event: 'message', data: 'mixed', id: '1' },
  { event: 'message', data: '{"a":"b\\nc"}', id: '' },
  { event: 'message', data: 'y', id: '' },
  { event: 'message', data: 'last 🚀', id: '' },
];

async function parseChunks(chunks) {
  const events = [];
  for await (const event of parseSSE(chunks)) events.push(event);
  return events;
}

function parseSync(chunks) {
  const parser = new SSEParser();
  const events = chunks.flatMap((chunk) => parser.push(chunk));
  parser.end();
  return events;
}

test('parses the tricky stream in one chunk', async () => {
  assert.deepEqual(await parseChunks([Buffer.from(TRICKY)]), TRICKY_EVENTS);
});

test('parses the tricky stream split at every byte boundary', () => {
  const bytes = Buffer.from(TRICKY);
  // The stream must cut a multi-byte character and a CRLF somewhere, or
  // the splits below would prove less than they seem to.
  assert.ok(bytes.length > TRICKY.length && TRICKY.includes('\r\n'));
  for (let i = 0; i <= bytes.length; i++) {
    const events = parseSync([bytes.subarray(0, i), bytes.subarray(i)]);
    assert.deepEqual(events, TRICKY_EVENTS, `split at byte ${i}`);
  }
});

test('parses the tricky stream split at every pair of byte boundaries', () => {
  const bytes = Buffer.from(TRICKY);
  for (let i = 0; i <= bytes.length; i++) {
    for (let j = i; j <= bytes.length; j++) {
      const events = parseSync([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]);
      if (!isDeepEqual(events, TRICKY_EVENTS)) {
        assert.deepEqual(events, TRICKY_EVENTS, `split at bytes ${i} and ${j}`);
      }
    }
  }
});

test('parses the tricky stream one byte at a time, through the async API', async () => {
  const bytes = Buffer.from(TRICKY);
  async function* oneByteAtATime() {
    for (const byte of bytes) yield Uint8Array.of(byte);
  }
  assert.deepEqual(await parseChunks(oneByteAtATime()), TRICKY_EVENTS);
});

test('parses text chunks as well as bytes, split at every character', () => {
  for (let i = 0; i <= TRICKY.length; i++) {
    assert.deepEqual(parseSync([TRICKY.slice(0, i), TRICKY.slice(i)]), TRICKY_EVENTS, `split at character ${i}`);
  }
});

test('a CR at the end of a chunk and an LF starting the next are one line end', () => {
  // Were they two, the LF would end the event after "a" early, and "b" would
  // start a second one.
  assert.deepEqual(parseSync(['data: a\r', '\ndata: b\r', '\n\r', '\n']), [{ event: 'message', data: 'a\nb', id: '' }]);
  // An empty chunk in between changes nothing.
  assert.deepEqual(parseSync(['data: a\r', '', new Uint8Array(0), '\ndata: b\r\n\r\n']), [{ event: 'message', data: 'a\nb', id: '' }]);
});

test('follows the examples of the HTML standard', () => {
  // https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
  assert.deepEqual(parseSync(['data: YHOO\ndata: +2\ndata: 10\n\n']), [{ event: 'message', data: 'YHOO\n+2\n10', id: '' }]);
  assert.deepEqual(parseSync([': test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n']), [
    { event: 'message', data: 'first event', id: '1' },
    { event: 'message', data: 'second event', id: '' },
    { event: 'message', data: ' third event', id: '' },
  ]);
  // "data" alone is an empty data line; the last block has no blank line after it.
  assert.deepEqual(parseSync(['data\n\ndata\ndata\n\ndata:']), [
    { event: 'message', data: '', id: '' },
    { event: 'message', data: '\n', id: '' },
  ]);
  assert.deepEqual(parseSync(['data:test\n\ndata: test\n\n']), [
    { event: 'message', data: 'test', id: '' },
    { event: 'message', data: 'test', id: '' },
  ]);
});

test('a final event without a blank line after it is discarded', async () => {
  assert.deepEqual(await parseChunks(['data: complete\n\ndata: cut']), [{ event: 'message', data: 'complete', id: '' }]);
  assert.deepEqual(await parseChunks(['data: cut\n']), []);
  assert.deepEqual(await parseChunks(['data: cut\r']), []);
});

test('a byte-order mark is stripped only at the very start', () => {
  assert.deepEqual(parseSync(['\uFEFFdata: a\n\n']), [{ event: 'message', data: 'a', id: '' }]);
  assert.deepEqual(parseSync([Buffer.from([0xef, 0xbb]), Buffer.from([0xbf, 0x64, 0x61, 0x74, 0x61, 0x3a, 0x61, 0x0a, 0x0a])]),
    [{ event: 'message', data: 'a', id: '' }]);
  // Later, U+FEFF is an ordinary character: this line's field is "\uFEFFdata".
  assert.deepEqual(parseSync(['data: a\n\n\uFEFFdata: b\n\n']), [{ event: 'message', data: 'a', id: '' }]);
});

test('invalid UTF-8 becomes U+FFFD instead of failing', () => {
  assert.deepEqual(parseSync([Buffer.from([0x64, 0x61, 0x74, 0x61, 0x3a, 0xff, 0x0a, 0x0a])]),
    [{ event: 'message', data: '\uFFFD', id: '' }]);
});

test('reports a valid retry field, ignores an invalid one', () => {
  const parser = new SSEParser();
  parser.push('retry: 2500\n');
  assert.equal(parser.retry, 2500);
  parser.push('retry: 10s\nretry: -1\n');
  assert.equal(parser.retry, 2500);
});

test('stopping early releases the source', async () => {
  let released = false;
  async function* source() {
    try {
      yield 'data: one\n\n';
      yield 'data: two\n\n';
      yield 'data: three\n\n';
    } finally {
      released = true;
    }
  }
  for await (const event of parseSSE(source())) {
    if (event.data === 'one') break;
  }
  assert.equal(released, true);
});

test('reads a fetch-style ReadableStream of bytes', async () => {
  const body = new ReadableStream({
    start(controller) {
      for (const part of ['data: {"n":', '1}\r', '\n\r\n', 'data: [DONE]\n\n']) controller.enqueue(new TextEncoder().encode(part));
      controller.close();
    },
  });
  assert.deepEqual(await parseChunks(body), [
    { event: 'message', data: '{"n":1}', id: '' },
    { event: 'message', data: '[DONE]', id: '' },
  ]);
});

// --- framing -------------------------------------------------------------------

test('frames an event as event, data and a blank line', () => {
  assert.equal(formatEvent('token', { text: 'Hi' }), 'event: token\ndata: {"text":"Hi"}\n\n');
  assert.equal(formatEvent('done', { stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 2 } }),
    'event: done\ndata: {"stopReason":"end_turn","usage":{"inputTokens":1,"outputTokens":2}}\n\n');
  assert.equal(formatComment('stream start'), ': stream start\n\n');
});

test('line breaks in the data cannot break the framing', () => {
  const text = 'line one\nline two\r\nline three\rend "quoted" \\ ✓ 😀 \u2028\u0000';
  const framed = formatEvent('token', { text });
  // One data line, however many lines the text has.
  assert.equal(framed.split(/\r\n|\r|\n/).length, 4);
  assert.match(framed, /^event: token\ndata: [^\r\n]+\n\n$/);
});

test('framing round-trips through the parser, at every byte boundary', () => {
  const sent = [
    ['token', { text: 'a\nb' }],
    ['token', { text: '\r\n\n' }],
    ['token', { text: ': not a comment' }],
    ['token', { text: 'data: not a field' }],
    ['token', { text: 'ünïcödé ✓ 😀' }],
    ['done', { stopReason: 'end_turn', usage: { inputTokens: 3, outputTokens: 5 } }],
  ];
  const bytes = Buffer.from(formatComment('stream start') + sent.map(([name, data]) => formatEvent(name, data)).join(''));
  for (let i = 0; i <= bytes.length; i++) {
    const events = parseSync([bytes.subarray(0, i), bytes.subarray(i)]);
    assert.deepEqual(events.map((e) => [e.event, JSON.parse(e.data)]), sent, `split at byte ${i}`);
  }
});

test('refuses event names and comments that would break the framing', () => {
  assert.throws(() => formatEvent('to\nken', {}), TypeError);
  assert.throws(() => formatEvent('token\r', {}), TypeError);
  assert.throws(() => formatEvent('', {}), TypeError);
  assert.throws(() => formatEvent('token', undefined), TypeError);
  assert.throws(() => formatComment('a\nb'), TypeError);
});

function isDeepEqual(a, b) {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}
