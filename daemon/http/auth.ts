/**
 * Who may call, checked before a body is read: the Host header (a DNS-rebinding defence — a web page
 * that rebinds its own name to 127.0.0.1 still sends its own name as Host) and the API key.
 */
import type { FastifyRequest } from "fastify";
import { FiscalError } from "../../protocol/index.js";
import type { ApiKeyVerifier, Caller } from "../fiscal/types.js";

/** Hosts the API answers to by default, on any port: the loopback names a local POS uses. */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = ["127.0.0.1", "localhost", "[::1]"];

/** Longest API key we hand to the verifier, in characters; longer is refused without hashing it. */
export const MAX_API_KEY_CHARS = 256;

const PORT = /^[0-9]{1,5}$/;

/**
 * Splits a Host header into its lower-cased name (IPv6 literals keep their brackets) and port.
 * Undefined when it is absent or malformed, which the check treats as not allowed.
 */
export function parseHost(header: string | undefined): { name: string; port: string | null } | undefined {
  if (header === undefined) return undefined;
  const host = header.trim().toLowerCase();
  if (host === "") return undefined;
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    if (end < 0) return undefined;
    const rest = host.slice(end + 1);
    if (rest === "") return { name: host.slice(0, end + 1), port: null };
    if (!rest.startsWith(":") || !PORT.test(rest.slice(1))) return undefined;
    return { name: host.slice(0, end + 1), port: rest.slice(1) };
  }
  const colon = host.indexOf(":");
  if (colon < 0) return { name: host, port: null };
  const port = host.slice(colon + 1);
  return PORT.test(port) ? { name: host.slice(0, colon), port } : undefined;
}

/**
 * A Host allow-list. An entry without a port (`localhost`) allows any port; an entry with one
 * (`pos.lan:8765`) allows that port only.
 */
export class HostAllowList {
  private readonly anyPort = new Set<string>();
  private readonly exact = new Set<string>();

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const parsed = parseHost(entry);
      if (parsed === undefined) throw new TypeError(`not a valid allowed host: ${JSON.stringify(entry)}`);
      if (parsed.port === null) this.anyPort.add(parsed.name);
      else this.exact.add(`${parsed.name}:${parsed.port}`);
    }
  }

  /** True when `header` names an allowed host. */
  allows(header: string | undefined): boolean {
    const parsed = parseHost(header);
    if (parsed === undefined) return false;
    return this.anyPort.has(parsed.name) || this.exact.has(`${parsed.name}:${parsed.port}`);
  }
}

const BEARER = /^Bearer +([^\s]+) *$/i;

/** The key of an `Authorization: Bearer <key>` header; AUTH_MISSING when there is none. */
export function presentedKey(header: string | undefined): string {
  if (header === undefined || header.trim() === "") {
    throw new FiscalError("AUTH_MISSING", "send Authorization: Bearer <api-key>");
  }
  const match = BEARER.exec(header);
  if (!match) throw new FiscalError("AUTH_MISSING", "the Authorization header must be Bearer <api-key>");
  const key = match[1]!;
  if (key.length > MAX_API_KEY_CHARS) throw new FiscalError("AUTH_INVALID");
  return key;
}

const callers = new WeakMap<FastifyRequest, Caller>();

/** Authenticates a request: verifies its key (throws AUTH_*) and remembers the caller for the route. */
export function authenticate(request: FastifyRequest, keys: ApiKeyVerifier): Caller {
  const caller = keys.verify(presentedKey(request.headers.authorization));
  callers.set(request, caller);
  return caller;
}

/** The caller of an authenticated request. Throws AUTH_MISSING on a route that skipped auth (a bug). */
export function callerOf(request: FastifyRequest): Caller {
  const caller = callers.get(request);
  if (caller === undefined) throw new FiscalError("AUTH_MISSING");
  return caller;
}
