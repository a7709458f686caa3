/**
 * Syslog for SIEMs: RFC 5424 over UDP (one datagram per alert), TCP or TLS (RFC 6587 octet
 * counting, one persistent connection, reconnected on error). MSG is the alert JSON or CEF.
 * Syslog has no application-level acknowledgement: over TCP/TLS a batch counts as delivered once
 * the kernel accepted it, so a connection dying at that moment can lose what was in flight.
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { SyslogSinkConfig } from '../config.js';
import type { Delivery, Output } from '../output.js';
import { DeliveryError, summaryText } from '../output.js';
import {
  cefAlert,
  cefSummary,
  octetFrame,
  parseFacility,
  rfc5424,
  severityOf,
  truncateUtf8,
} from '../syslog-format.js';
import { VIGIL_VERSION } from '../version.js';

export class SyslogSink implements Output {
  private readonly protocol: 'udp' | 'tcp' | 'tls';
  private readonly format: 'json' | 'cef';
  private readonly port: number;
  private readonly facility: number;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;
  private readonly tlsOpts: tls.ConnectionOptions = {};
  private udp?: dgram.Socket;
  private stream?: net.Socket;
  private connecting?: Promise<net.Socket>;

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
    if (!this.udp) {
      this.udp = dgram.createSocket(net.isIPv6(this.cfg.host) ? 'udp6' : 'udp4');
      const sock = this.udp;
      sock.on('error', () => {
        if (this.udp === sock) this.udp = undefined;
        sock.close();
      });
      this.udp.unref();
    }
    const sock = this.udp;
    for (const m of msgs) {
      await new Promise<void>((resolve, reject) =>
        sock.send(m, this.port, this.cfg.host, (err) =>
          err
            ? reject(new DeliveryError(`syslog udp ${this.cfg.host}:${this.port}: ${err.message}`, true))
            : resolve(),
        ),
      );
    }
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
    this.udp?.close();
    this.udp = undefined;
    const s = this.stream;
    if (s) await new Promise<void>((resolve) => s.end(resolve));
    this.stream = undefined;
  }
}
