import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Requests to addresses that someone outside gave us (a factory's webhook URL): they must never reach
 * the service's own network. Only global unicast addresses are public; every special range ipaddr.js
 * knows is not: loopback, private (10/8, 172.16/12, 192.168/16), link-local (169.254/16, where cloud
 * metadata answers; fe80::/10), carrier-grade NAT, unspecified, multicast, broadcast, reserved and
 * documentation ranges, IPv6 unique-local, and every form that embeds an IPv4 address
 * (::ffff:127.0.0.1, NAT64, 6to4, Teredo), which could carry any of those.
 */
export function isPublicAddress(address: string): boolean {
  return ipaddr.isValid(address) && ipaddr.parse(address).range() === 'unicast';
}

/** A request refused because its host is, or resolves to, an address that is not public. */
export class AddressNotPublicError extends Error {
  readonly code = 'ADDRESS_NOT_PUBLIC';
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(host === address ? `${address} is not a public address` : `${host} resolves to ${address}, which is not a public address`);
    this.name = 'AddressNotPublicError';
  }
}

/**
 * The URL's host, if it is or resolves to an address that is not public, as an AddressNotPublicError;
 * undefined otherwise. A name that does not resolve now is not refused: it reaches nothing today, and
 * each request checks again where it connects. The WHATWG parser has already turned the other ways of
 * writing an IPv4 address (2130706433, 0x7f.1, 0177.0.0.1) into dotted form.
 */
export async function notPublic(url: URL): Promise<AddressNotPublicError | undefined> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host)) return isPublicAddress(host) ? undefined : new AddressNotPublicError(host, host);
  const addresses = await new Promise<LookupAddress[]>((resolve) => dnsLookup(host, { all: true }, (error, found) => resolve(error ? [] : found)));
  const refused = addresses.find((a) => !isPublicAddress(a.address));
  return refused ? new AddressNotPublicError(host, refused.address) : undefined;
}

/**
 * Resolves as dns.lookup does, but fails when any address the name has is not public. Net connects to
 * the address this returns, so what was checked is what is reached: a name that resolves differently a
 * moment later (DNS rebinding) cannot slip an internal address in between the check and the connection.
 */
const publicOnlyLookup = ((
  hostname: string,
  options: { all?: boolean },
  callback: (error: Error | null, address?: string | LookupAddress[], family?: number) => void,
) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error);
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused) return callback(new AddressNotPublicError(hostname, refused.address));
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
}) as unknown as LookupFunction;

/** http.Agent's hook for opening a connection: undocumented in the types, documented in Node's http docs. */
type Connecting = { createConnection(options: { host?: string }, callback: (error: Error | null, socket?: Socket) => void): Socket | undefined };

/**
 * An agent that connects only to public addresses: a host written as an address is checked before
 * connecting (no lookup happens for it), a name through publicOnlyLookup.
 */
function publicOnly<A extends http.Agent>(agent: A): A {
  const connecting = agent as unknown as Connecting;
  const connect = connecting.createConnection.bind(agent);
  connecting.createConnection = (options, callback) => {
    const host = options.host ?? '';
    if (isIP(host) && !isPublicAddress(host)) {
      callback(new AddressNotPublicError(host, host));
      return undefined;
    }
    return connect(options, callback);
  };
  return agent;
}

const agents = {
  publicOnly: { http: publicOnly(new http.Agent({ lookup: publicOnlyLookup })), https: publicOnly(new https.Agent({ lookup: publicOnlyLookup })) },
  any: { http: new http.Agent(), https: new https.Agent() },
};

/**
 * POSTs `body` once and answers the status code. Redirects are not followed (a 3xx is the answer), and
 * the response body is never read: whatever answered, its words stay where they are. Unless
 * `allowPrivateAddresses`, only public addresses are connected to (else AddressNotPublicError). A
 * request that takes longer than `timeoutMs` fails with a TimeoutError.
 */
export function postOnce(
  url: URL,
  options: { headers: Record<string, string>; body: Buffer; timeoutMs: number; allowPrivateAddresses: boolean },
): Promise<{ status: number }> {
  const pool = options.allowPrivateAddresses ? agents.any : agents.publicOnly;
  const secure = url.protocol === 'https:';
  const signal = AbortSignal.timeout(options.timeoutMs);
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers, 'content-length': String(options.body.length) };
    const request = (secure ? https.request : http.request)(url, { method: 'POST', agent: secure ? pool.https : pool.http, headers, signal }, (response) => {
      resolve({ status: response.statusCode ?? 0 });
      response.destroy();
    });
    request.on('error', (error) => reject(signal.aborted ? signal.reason : error));
    request.end(options.body);
  });
}
