/**
 * Shared by the telemetry tests: a real OTLP/HTTP receiver (node:http on
 * 127.0.0.1) that records the JSON payloads it is sent and can be stopped
 * and started again on the same port, a decoder for OTLP JSON, and a policy
 * that yields each of the five decisions.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** An OTLP attribute value as JSON encodes it. */
type AnyValue = {
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  readonly intValue?: string | number;
  readonly doubleValue?: number;
  readonly arrayValue?: { readonly values?: readonly AnyValue[] };
  readonly kvlistValue?: { readonly values?: readonly { key: string; value: AnyValue }[] };
};

/** The JSON value of an OTLP AnyValue. */
export function decode(value: AnyValue | undefined): unknown {
  if (value === undefined) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decode);
  if (value.kvlistValue !== undefined) {
    return Object.fromEntries((value.kvlistValue.values ?? []).map((kv) => [kv.key, decode(kv.value)]));
  }
  return null;
}

function attributes(list: readonly { key: string; value: AnyValue }[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, decode(kv.value)]));
}

/** A log record as received. */
export interface ReceivedLog {
  readonly eventName: string | undefined;
  readonly severityText: string | undefined;
  readonly attributes: Record<string, unknown>;
  readonly body: unknown;
  readonly resource: Record<string, unknown>;
}

/** A span as received. */
export interface ReceivedSpan {
  readonly name: string;
  readonly traceId: string;
  readonly attributes: Record<string, unknown>;
}

interface LogsPayload {
  resourceLogs?: {
    resource?: { attributes?: { key: string; value: AnyValue }[] };
    scopeLogs?: {
      logRecords?: {
        eventName?: string;
        severityText?: string;
        body?: AnyValue;
        attributes?: { key: string; value: AnyValue }[];
      }[];
    }[];
  }[];
}

interface TracesPayload {
  resourceSpans?: {
    scopeSpans?: {
      spans?: { name: string; traceId: string; attributes?: { key: string; value: AnyValue }[] }[];
    }[];
  }[];
}

/** A real OTLP/HTTP JSON receiver. */
export class OtlpReceiver {
  readonly logs: ReceivedLog[] = [];
  readonly spans: ReceivedSpan[] = [];
  /** Every request body, as text. */
  readonly raw: string[] = [];
  requests = 0;
  /** While true, requests are read but never answered (a receiver that hangs); they are not recorded. */
  hang = false;
  #server: Server | null = null;
  #port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Listens on an ephemeral port the first time, on the same port afterwards. */
  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.requests++;
        if (this.hang) return;
        const text = Buffer.concat(chunks).toString("utf8");
        this.raw.push(text);
        try {
          if (req.url === "/v1/logs") this.#logs(JSON.parse(text) as LogsPayload);
          else if (req.url === "/v1/traces") this.#spans(JSON.parse(text) as TracesPayload);
        } catch {
          res.writeHead(400).end();
          return;
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#port, "127.0.0.1", () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening: later exports are refused. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #logs(payload: LogsPayload): void {
    for (const rl of payload.resourceLogs ?? []) {
      const resource = attributes(rl.resource?.attributes);
      for (const sl of rl.scopeLogs ?? []) {
        for (const r of sl.logRecords ?? []) {
          this.logs.push({
            eventName: r.eventName,
            severityText: r.severityText,
            attributes: attributes(r.attributes),
            body: decode(r.body),
            resource,
          });
        }
      }
    }
  }

  #spans(payload: TracesPayload): void {
    for (const rs of payload.resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          this.spans.push({ name: s.name, traceId: s.traceId, attributes: attributes(s.attributes) });
        }
      }
    }
  }

  /** Received events (log bodies) of one type. */
  events(type: string): Record<string, unknown>[] {
    return this.logs.filter((l) => l.eventName === type).map((l) => l.body as Record<string, unknown>);
  }
}

/** The conformance suite's §9.8 policy, its five calls (one per decision) and the value none may export. */
export { CALLS, FIVE_DECISIONS, SECRET } from "../../src/conformance/scenarios/r8.ts";
