/**
 * A telemetry collector for the suite: a real OTLP/HTTP (JSON) receiver on
 * 127.0.0.1 that keeps every log record it is sent, decoded back into the
 * event it carries, and every request body as text (to check that nothing
 * sensitive went over the wire).
 *
 * @module
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Json } from "../ir/contract.ts";
import type { ExportedEvent } from "./types.ts";

/** An OTLP attribute value as OTLP/JSON encodes it. */
interface AnyValue {
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  readonly intValue?: string | number;
  readonly doubleValue?: number;
  readonly arrayValue?: { readonly values?: readonly AnyValue[] };
  readonly kvlistValue?: { readonly values?: readonly KeyValue[] };
}

interface KeyValue {
  readonly key: string;
  readonly value: AnyValue;
}

interface LogsPayload {
  readonly resourceLogs?: readonly {
    readonly scopeLogs?: readonly {
      readonly logRecords?: readonly {
        readonly eventName?: string;
        readonly body?: AnyValue;
        readonly attributes?: readonly KeyValue[];
      }[];
    }[];
  }[];
}

/** Largest request body read; a collector must not be made to buffer without bound. */
const MAX_BODY = 8 * 1024 * 1024;

/** The JSON value of an OTLP AnyValue. */
function decode(value: AnyValue | undefined): Json {
  if (value === undefined) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decode);
  if (value.kvlistValue !== undefined)
    return Object.fromEntries((value.kvlistValue.values ?? []).map((kv) => [kv.key, decode(kv.value)]));
  return null;
}

/** A running collector. */
export class OtlpCollector {
  /** Log records received, as events. */
  readonly events: ExportedEvent[] = [];
  /** Every request body, as text. */
  readonly raw: string[] = [];
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Starts a collector on an ephemeral port of 127.0.0.1. */
  static async start(): Promise<OtlpCollector> {
    let collector: OtlpCollector | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY) chunks.push(chunk);
      });
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if (size > MAX_BODY || collector === null) {
          res.writeHead(413).end();
          return;
        }
        collector.raw.push(text);
        try {
          if (req.url === "/v1/logs") collector.#logs(JSON.parse(text) as LogsPayload);
        } catch {
          res.writeHead(400).end();
          return;
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    collector = new OtlpCollector(server);
    return collector;
  }

  /** The base URL exporters send to. */
  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Stops listening; later exports are refused. */
  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #logs(payload: LogsPayload): void {
    for (const rl of payload.resourceLogs ?? [])
      for (const sl of rl.scopeLogs ?? [])
        for (const record of sl.logRecords ?? []) {
          const attributes = Object.fromEntries(
            (record.attributes ?? []).map((kv) => [kv.key, decode(kv.value)]),
          );
          const severity = attributes["aarm.severity"];
          this.events.push({
            type: record.eventName ?? "",
            severity: typeof severity === "string" ? severity : "",
            body: decode(record.body),
          });
        }
  }
}
