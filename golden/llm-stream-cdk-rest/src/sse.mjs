// Server-Sent Events, both ways.
//
// Out: formatEvent() and formatComment() frame what the handler sends. Data is
// always JSON, so a newline in a token travels as the two characters "\n"
// and can never end a field or an event early.
//
// In: parseSSE() reads an upstream text/event-stream as the HTML standard's
// "event stream interpretation" says (WHATWG HTML, section 9.2.6), whatever
// the network does to the bytes: lines may end in CRLF, LF or a lone CR; a
// chunk may end anywhere, between a CR and its LF or inside a multi-byte
// UTF-8 character; "data:" lines join with "\n"; ":" lines are comments; a
// final event that no blank line completes is dropped.

/**
 * Frames one event: `event: NAME\ndata: JSON\n\n`. NAME must not hold a line
 * break; `data` is any JSON-serializable value.
 */
export function formatEvent(name, data) {
  if (typeof name !== 'string' || name === '' || /[\r\n]/.test(name)) {
    throw new TypeError(`invalid SSE event name ${JSON.stringify(name)}`);
  }
  const json = JSON.stringify(data);
  if (json === undefined) throw new TypeError('SSE event data must be JSON-serializable');
  // JSON.stringify escapes CR and LF inside strings, and emits none of its own.
  return `event: ${name}\ndata: ${json}\n\n`;
}

/** Frames a comment, which every SSE client ignores: `: TEXT\n\n`. */
export function formatComment(text = '') {
  if (/[\r\n]/.test(text)) throw new TypeError('an SSE comment must be a single line');
  return `: ${text}\n\n`;
}

/**
 * Parses an event stream. `source` is an async (or sync) iterable of chunks,
 * each a Uint8Array (UTF-8 bytes) or a string, such as a fetch() response
 * body. Yields { event, data, id } per dispatched event: `event` is
 * "message" unless an "event:" field named it, `id` is the last event ID
 * seen so far ("" if none). Stopping the loop early (break, return, throw)
 * releases the source, which cancels a fetch() body.
 */
export async function* parseSSE(source) {
  const parser = new SSEParser();
  for await (const chunk of source) {
    const events = parser.push(chunk);
    for (const event of events) yield event;
  }
  parser.end();
}

/**
 * The parser behind parseSSE(), for callers that get chunks one at a time:
 * push(chunk) returns the events that chunk completed (often none), end()
 * discards whatever was left incomplete.
 */
export class SSEParser {
  #decoder = new TextDecoder('utf-8'); // replaces invalid bytes with U+FFFD, strips a leading BOM
  #started = false;
  #line = ''; // the start of a line whose end has not arrived yet
  #skipLF = false; // the last chunk ended in CR: an LF starting the next one is part of that line end
  #data = '';
  #hasData = false;
  #eventType = '';
  #lastEventId = '';

  /** The reconnection time from the last valid "retry:" field, in ms, or undefined. */
  retry = undefined;

  push(chunk) {
    let text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    if (!this.#started && text.length > 0) {
      this.#started = true;
      // TextDecoder strips a byte-order mark from bytes; do the same for text.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const events = [];
    if (text.length === 0) return events;

    let start = 0;
    if (this.#skipLF) {
      this.#skipLF = false;
      if (text.charCodeAt(0) === 0x0a) start = 1;
    }
    const length = text.length;
    for (let i = start; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x0a && c !== 0x0d) continue;
      const line = this.#line + text.slice(start, i);
      this.#line = '';
      if (c === 0x0d) {
        if (i + 1 < length) {
          if (text.charCodeAt(i + 1) === 0x0a) i++;
        } else {
          this.#skipLF = true;
        }
      }
      start = i + 1;
      const event = this.#processLine(line);
      if (event) events.push(event);
    }
    if (start < length) this.#line += text.slice(start);
    return events;
  }

  end() {
    // An unfinished line or event at the end of the stream is discarded.
    this.#decoder.decode();
    this.#line = '';
    this.#data = '';
    this.#hasData = false;
    this.#eventType = '';
    this.#skipLF = false;
  }

  #processLine(line) {
    if (line === '') return this.#dispatch();
    const colon = line.indexOf(':');
    if (colon === 0) return null; // a comment
    let field = line;
    let value = '';
    if (colon > 0) {
      field = line.slice(0, colon);
      value = line.slice(line.charCodeAt(colon + 1) === 0x20 ? colon + 2 : colon + 1);
    }
    switch (field) {
      case 'event':
        this.#eventType = value;
        break;
      case 'data':
        // Kept as "lines joined by LF" rather than "each line plus LF, then
        // drop the last LF": the same result, one less copy.
        this.#data = this.#hasData ? `${this.#data}\n${value}` : value;
        this.#hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.#lastEventId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
    return null;
  }

  #dispatch() {
    // With no data line, nothing is dispatched: the event type is reset, the
    // last event ID is kept.
    if (!this.#hasData) {
      this.#eventType = '';
      return null;
    }
    const event = { event: this.#eventType || 'message', data: this.#data, id: this.#lastEventId };
    this.#data = '';
    this.#hasData = false;
    this.#eventType = '';
    return event;
  }
}
