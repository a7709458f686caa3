/**
 * A real rsyslogd (Debian's) started with its own config: UDP, TCP and TLS (gtls driver) inputs
 * on loopback, writing every message's parsed RFC 5424 fields to a file the test reads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestCerts } from './certs.js';
import { freePort, waitForListen } from './ports.js';

export const RSYSLOGD = '/usr/sbin/rsyslogd';

export interface Rsyslog {
  udpPort: number;
  tcpPort: number;
  tlsPort: number;
  /** Received messages: fields split on the template's separator. */
  lines(): ReceivedSyslog[];
  stop(): Promise<void>;
}

export interface ReceivedSyslog {
  input: string;
  facility: number;
  severity: number;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  msg: string;
}

const SEP = '\u001f';

/** `ports`: listen where a stopped rsyslog did (a restart); default: free ports. */
export async function startRsyslog(
  dir: string,
  certs: TestCerts,
  ports?: Pick<Rsyslog, 'udpPort' | 'tcpPort' | 'tlsPort'>,
): Promise<Rsyslog> {
  const { udpPort, tcpPort, tlsPort } = ports ?? {
    udpPort: await freePort(),
    tcpPort: await freePort(),
    tlsPort: await freePort(),
  };
  mkdirSync(join(dir, 'work'), { recursive: true });
  const out = join(dir, 'received.log');
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    `global(workDirectory="${join(dir, 'work')}" maxMessageSize="64k"
       defaultNetstreamDriverCAFile="${certs.caFile}"
       defaultNetstreamDriverCertFile="${certs.certFile}"
       defaultNetstreamDriverKeyFile="${certs.keyFile}")
module(load="imudp")
module(load="imtcp" maxSessions="50")
template(name="fields" type="list") {
  property(name="$.input") constant(value="${SEP}")
  property(name="syslogfacility") constant(value="${SEP}")
  property(name="syslogseverity") constant(value="${SEP}")
  property(name="hostname") constant(value="${SEP}")
  property(name="app-name") constant(value="${SEP}")
  property(name="procid") constant(value="${SEP}")
  property(name="msgid") constant(value="${SEP}")
  property(name="msg" controlcharacters="escape") constant(value="\\n")
}
ruleset(name="udp") { set $.input = "udp"; action(type="omfile" file="${out}" template="fields") }
ruleset(name="tcp") { set $.input = "tcp"; action(type="omfile" file="${out}" template="fields") }
ruleset(name="tls") { set $.input = "tls"; action(type="omfile" file="${out}" template="fields") }
input(type="imudp" address="127.0.0.1" port="${udpPort}" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="${tcpPort}" ruleset="tcp")
input(type="imtcp" address="127.0.0.1" port="${tlsPort}" ruleset="tls"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
`,
  );
  const stderr: Buffer[] = [];
  const child: ChildProcess = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (c: Buffer) => stderr.push(c));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`rsyslogd exited (${code}): ${Buffer.concat(stderr).toString()}`)),
    ),
  );
  exited.catch(() => undefined);
  await Promise.race([Promise.all([waitForListen(tcpPort), waitForListen(tlsPort)]), exited]);
  return {
    udpPort,
    tcpPort,
    tlsPort,
    lines() {
      if (!existsSync(out)) return [];
      return readFileSync(out, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [input, facility, severity, hostname, appName, procId, msgId, msg] = l.split(SEP);
          return {
            input,
            facility: Number(facility),
            severity: Number(severity),
            hostname,
            appName,
            procId,
            msgId,
            msg,
          };
        });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await done;
    },
  };
}
