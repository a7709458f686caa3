/**
 * OCSF 1.3 Detection Finding (class_uid 2004, category Findings) for an alert: the finding (rule,
 * uuid, output, MITRE tags as attacks), severity, the security-control verdict, the device, the
 * acting process and user (`actor`), and the evidence: the process with its parent and lineage,
 * the file, the source and destination endpoints, the container with its image (and pod).
 * What OCSF has no attribute for (the output fields, the enforcement detail) is under `unmapped`.
 */
import { basename, dirname } from 'node:path';
import type { Alert, AlertAction, Priority } from '../../event/alert.js';
import type { FdInfo, ProcessInfo, UserInfo, VigilEvent } from '../../event/types.js';
import type { AlertSummary } from '../sink.js';
import { summaryText } from './alert-text.js';

export const OCSF_VERSION = '1.3.0';
const CLASS_UID = 2004;
const ACTIVITY_CREATE = 1;

/** OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical, 6 Fatal. */
const SEVERITY: Record<Priority, [number, string]> = {
  Emergency: [6, 'Fatal'],
  Alert: [5, 'Critical'],
  Critical: [5, 'Critical'],
  Error: [4, 'High'],
  Warning: [3, 'Medium'],
  Notice: [2, 'Low'],
  Informational: [1, 'Informational'],
  Debug: [1, 'Informational'],
};

type Obj = Record<string, unknown>;

/** The attributes every finding vigil writes has: class, activity, metadata, device. */
function base(time: string, priority: Priority, hostname: string, version: string): Obj {
  const [severityId, severity] = SEVERITY[priority];
  const ms = Date.parse(time);
  return {
    class_uid: CLASS_UID,
    class_name: 'Detection Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id: ACTIVITY_CREATE,
    activity_name: 'Create',
    type_uid: CLASS_UID * 100 + ACTIVITY_CREATE,
    type_name: 'Detection Finding: Create',
    time: Number.isFinite(ms) ? ms : Date.now(),
    severity_id: severityId,
    severity,
    status_id: 1,
    status: 'New',
    is_alert: true,
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'vigil', vendor_name: 'vigil', version },
      original_time: time,
    },
    device: { hostname, type_id: 1, type: 'Server', os: { name: 'Linux', type_id: 200, type: 'Linux' } },
  };
}

/** The security-control verdict: blocked when vigil killed or denied, observed otherwise. */
function verdict(action: AlertAction): Obj {
  return action === 'killed' || action === 'denied'
    ? { action_id: 2, action: 'Denied', disposition_id: 2, disposition: 'Blocked' }
    : { action_id: 3, action: 'Observed', disposition_id: 17, disposition: 'Logged' };
}

/** `T1003` and `mitre_<tactic>` tags as OCSF attacks. */
function attacks(tags: string[]): Obj[] {
  const tactics = tags.filter((t) => t.startsWith('mitre_')).map((t) => t.slice('mitre_'.length));
  const tactic = tactics.length > 0 ? { name: tactics[0].replace(/_/g, ' ') } : undefined;
  return tags
    .filter((t) => /^T\d{4}(\.\d{3})?$/.test(t))
    .map((uid) => ({ technique: { uid }, ...(tactic ? { tactic } : {}), version: 'v14' }));
}

function user(u: UserInfo): Obj {
  return { name: u.name, uid: String(u.uid) };
}

function processObj(p: ProcessInfo, u: UserInfo): Obj {
  const parent = p.ancestors[0];
  return {
    pid: p.pid,
    tid: p.tid,
    name: p.name,
    cmd_line: p.cmdline,
    file: {
      path: p.exe,
      name: basename(p.exe),
      parent_folder: dirname(p.exe),
      type_id: 1,
      type: 'Regular File',
    },
    working_directory: p.cwd,
    user: user(u),
    lineage: p.ancestors.map((a) => a.exe),
    ...(p.start_ts > 0 ? { created_time: Math.floor(p.start_ts / 1e6) } : {}),
    ...(parent
      ? {
          parent_process: {
            pid: parent.pid,
            name: parent.name,
            cmd_line: parent.cmdline,
            file: { path: parent.exe, name: basename(parent.exe), type_id: 1, type: 'Regular File' },
          },
        }
      : {}),
  };
}

/** The file of a file or directory descriptor. */
function file(fd: FdInfo | undefined): Obj | undefined {
  if (!fd || (fd.type !== 'file' && fd.type !== 'directory') || !fd.name) return undefined;
  const dir = fd.type === 'directory';
  return {
    path: fd.name,
    name: basename(fd.name),
    parent_folder: dirname(fd.name),
    type_id: dir ? 2 : 1,
    type: dir ? 'Folder' : 'Regular File',
  };
}

/** Source and destination endpoints of a socket descriptor. */
function endpoints(fd: FdInfo | undefined): Obj {
  if (!fd || (fd.type !== 'ipv4' && fd.type !== 'ipv6')) return {};
  const out: Obj = {
    src_endpoint: { ip: fd.lip, port: fd.lport },
    dst_endpoint: { ip: fd.rip, port: fd.rport },
  };
  if (fd.l4proto)
    out.connection_info = { protocol_name: fd.l4proto, protocol_ver_id: fd.type === 'ipv6' ? 6 : 4 };
  return out;
}

function container(ev: VigilEvent): Obj | undefined {
  const c = ev.container;
  if (!c?.id) return undefined;
  const image = c.image ? { name: c.image_repository ?? c.image, tag: c.image_tag, uid: c.image } : undefined;
  return {
    uid: c.id,
    name: c.name,
    ...(image ? { image } : {}),
    ...(c.pod ? { pod_uuid: c.pod.uid, orchestrator: 'Kubernetes' } : {}),
  };
}

/** One alert as an OCSF Detection Finding. */
export function ocsfFinding(a: Alert, version: string): Obj {
  const ev = a.event;
  const proc = processObj(ev.proc, ev.user);
  const evidence: Obj = { process: proc, ...endpoints(ev.fd) };
  const f = file(ev.fd);
  if (f) evidence.file = f;
  const c = container(ev);
  if (c) evidence.container = c;
  const att = attacks(a.tags);
  const b = base(a.time, a.priority, a.hostname, version);
  return {
    ...b,
    ...verdict(a.action),
    message: a.output,
    finding_info: {
      uid: a.uuid,
      title: a.rule,
      desc: a.output,
      types: a.tags,
      created_time: b.time,
      analytic: { name: a.rule, uid: a.rule, type_id: 1, type: 'Rule' },
      ...(att.length > 0 ? { attacks: att } : {}),
    },
    actor: { process: proc, user: user(ev.user) },
    evidences: [evidence],
    unmapped: {
      evt_type: ev.type,
      action: a.action,
      output_fields: a.output_fields,
      ...(a.enforcement ? { enforcement: a.enforcement } : {}),
      ...(ev.container?.pod
        ? { k8s: { pod: ev.container.pod.name, namespace: ev.container.pod.namespace } }
        : {}),
    },
  };
}

/** A rate-limit or dedup summary as a finding counting the suppressed alerts. */
export function ocsfSummary(s: AlertSummary, version: string): Obj {
  return {
    ...base(s.last_time, s.priority, s.hostname, version),
    message: summaryText(s),
    count: s.count,
    start_time: Date.parse(s.first_time),
    end_time: Date.parse(s.last_time),
    finding_info: { uid: `summary-${s.rule}-${s.last_time}`, title: s.rule, desc: summaryText(s) },
    unmapped: { vigil_summary: s },
  };
}
