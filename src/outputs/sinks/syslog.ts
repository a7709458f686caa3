/**
 * Syslog for SIEMs: RFC 5424 over UDP (one datagram per alert), TCP or TLS (RFC 6587 octet
 * counting, one persistent connection, reconnected on error). MSG is the alert JSON or CEF.
 * Syslog has no application-level acknowledgement: over TCP/TLS a batch counts as delivered once
 * the kernel accepted it, so a connection dying at that moment can lose what was in flight. Over
 * UDP nothing comes back at all: alerts count as `sent`, never `delivered`. The UDP socket is
 * connected, so an ICMP "port unreachable" (the receiver is down) reaches it as ECONNREFUSED: a
 * batch that meets one within two event-loop turns is resent whole; while refused, each
 * attempt first sends an empty datagram (rsyslog discards it) to learn whether the port is open.
 * What UDP still loses: datagrams whose ICMP answer comes back after their batch counted as sent
 * (a remote receiver: one round trip), everything when ICMP is filtered or the host unreachable,
 * and whatever overflows the receiver's socket buffer.
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { SyslogSinkConfig } from '../config.js';
import { summaryText } from '../formats/alert-text.js';
import { cefAlert, cefSummary } from '../formats/cef.js';
import { octetFrame, parseFacility, rfc5424, severityOf, truncateUtf8 } from '../formats/syslog-message.js';
import { DeliveryError, type Delivery, type Sink } from '../sink.js';
import { VIGIL_VERSION } from '../version.js';

export class SyslogSink implements Sink {
  private readonly protocol: 'udp' | 'tcp' | 'tls';
  private readonly format: 'json' | 'cef';
  private readonly port: number;
  private readonly facility: number;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;
  private readonly tlsOpts: tls.ConnectionOptions = {};
  private udp?: Promise<dgram.Socket>;
  /** The receiver refused a datagram (ICMP port unreachable) and no batch got through since. */
  private refused = false;
  /** ECONNREFUSED seen, on a send or on the socket (the ICMP answer to an earlier datagram). */
  private refusals = 0;
  private stream?: net.Socket;
  private connecting?: Promise<net.Socket>;

  /** UDP: no acknowledgement, so the runner counts `sent`. */
  get acknowledged(): boolean {
    return this.protocol !== 'udp';
  }

  constructor(private readonly cfg: SyslogSinkConfig) {
    this.protocol = cfg.protocol ?? 'udp';
    this.format = cfg.format ?? 'json';
    this.port = cfg.port ?? (this.protocol === 'tls' ? 6514 : 514);
    this.facility = parseFacility(cfg.facility);
    this.maxBytes = cfg.max_message_bytes ?? (this.protocol === 'udp' ? 8192 : 65536);
    this.timeoutMs = cfg.timeout_ms ?? 10_000;
    if (this.protocol === 'tls') {
      this.tlsOpts = {
        ca: cfg.ca_file ? readFileSync(cfg.ca_file) : undefined,
        cert: cfg.cert_file ? readFileSync(cfg.cert_file) : undefined,
        key: cfg.key_file ? readFileSync(cfg.key_file) : undefined,
        rejectUnauthorized: cfg.reject_unauthorized ?? true,
        servername: net.isIP(cfg.host) ? undefined : cfg.host,
      };
    }
  }

  private messages(d: Delivery): Buffer[] {
    return d.items.map((it) => {
      const a = it.alert;
      const s = it.summary;
      const priority = a ? a.priority : s!.priority;
      const body =
        this.format === 'cef'
          ? a
            ? cefAlert(a, VIGIL_VERSION)
            : cefSummary(s!, VIGIL_VERSION)
          : JSON.stringify(a ?? { vigil_summary: s, output: summaryText(s!) });
      const line = rfc5424(
        {
          facility: this.facility,
          severity: severityOf(priority),
          time: a ? a.time : s!.last_time,
          hostname: this.cfg.hostname ?? (a ? a.hostname : s!.hostname),
          appName: this.cfg.app_name ?? 'vigil',
          procId: String(process.pid),
          msgId: a ? 'alert' : 'summary',
        },
        body,
      );
      return truncateUtf8(line, this.maxBytes);
    });
  }

  async send(d: Delivery): Promise<void> {
    const msgs = this.messages(d);
    if (this.protocol === 'udp') return this.sendUdp(msgs);
    const sock = await this.connect();
    const data = Buffer.concat(msgs.map(octetFrame));
    await new Promise<void>((resolve, reject) => {
      sock.write(data, (err) => {
        if (err) {
          this.drop(sock);
          reject(
            new DeliveryError(`syslog ${this.protocol} ${this.cfg.host}:${this.port}: ${err.message}`, true),
          );
        } else resolve();
      });
    });
  }

  private async sendUdp(msgs: Buffer[]): Promise<void> {
    const where = `syslog udp ${this.cfg.host}:${this.port}`;
    const pending = (this.udp ??= this.connectUdp(where));
    let sock: dgram.Socket;
    try {
      sock = await pending;
    } catch (err) {
      if (this.udp === pending) this.udp = undefined;
      throw err;
    }
    const before = this.refusals;
    const datagrams = this.refused ? [Buffer.alloc(0), ...msgs] : msgs;
    for (const m of datagrams) {
      await new Promise<void>((resolve, reject) =>
        sock.send(m, (err) => {
          if (!err) return resolve();
          this.noteError(err);
          reject(new DeliveryError(`${where}: ${err.message}`, true));
        }),
      );
    }
    // Two event-loop turns, so a poll phase ran after the last send: a nearby receiver's ICMP
    // answer to this batch has been read by then.
    for (let turn = 0; turn < 2; turn++) await new Promise((r) => setImmediate(r));
    if (this.refusals !== before)
      throw new DeliveryError(`${where}: port unreachable (receiver down): batch resent`, true);
    this.refused = false;
  }

  private noteError(err: Error): void {
    if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') return;
    this.refusals++;
    this.refused = true;
  }

  /** A UDP socket connected to the receiver (resolved once), so ICMP errors reach its sends. */
  private connectUdp(where: string): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      const sock = dgram.createSocket(net.isIPv6(this.cfg.host) ? 'udp6' : 'udp4');
      sock.unref();
      sock.once('error', (err) => {
        sock.close();
        reject(new DeliveryError(`${where}: ${err.message}`, true));
      });
      sock.connect(this.port, this.cfg.host, () => {
        sock.removeAllListeners('error');
        // Errors read from the socket: the ICMP answers to datagrams already sent.
        sock.on('error', (err) => this.noteError(err));
        resolve(sock);
      });
    });
  }

  private connect(): Promise<net.Socket> {
    if (this.stream && !this.stream.destroyed) return Promise.resolve(this.stream);
    this.connecting ??= new Promise<net.Socket>((resolve, reject) => {
      const where = `syslog ${this.protocol} ${this.cfg.host}:${this.port}`;
      const sock =
        this.protocol === 'tls'
          ? tls.connect({ host: this.cfg.host, port: this.port, ...this.tlsOpts })
          : net.connect({ host: this.cfg.host, port: this.port });
      const ready = this.protocol === 'tls' ? 'secureConnect' : 'connect';
      sock.setTimeout(this.timeoutMs, () =>
        sock.destroy(new Error(`no connection within ${this.timeoutMs} ms`)),
      );
      sock.once(ready, () => {
        sock.setTimeout(0);
        sock.setKeepAlive(true, 30_000);
        this.stream = sock;
        resolve(sock);
      });
      sock.on('error', (err) => {
        this.drop(sock);
        reject(new DeliveryError(`${where}: ${err.message}`, true));
      });
      sock.on('close', () => this.drop(sock));
      // The receiver never talks back; anything it sends (e.g. a TLS alert) is drained.
      sock.on('data', () => undefined);
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private drop(sock: net.Socket): void {
    if (this.stream === sock) this.stream = undefined;
    sock.destroy();
  }

  async close(): Promise<void> {
    const udp = this.udp;
    this.udp = undefined;
    if (udp) await udp.then((s) => s.close()).catch(() => undefined);
    const s = this.stream;
    if (s) await new Promise<void>((resolve) => s.end(resolve));
    this.stream = undefined;
  }
}
