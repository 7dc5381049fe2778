// The job kinds `snapflow` submits, one entry per kind: its options and how they become the
// v1 request body (DESIGN.md, "Job submission contract"). Only options the user gave are
// sent, so the service's defaults apply and its validation names any bad field.
import type { Command } from 'commander';
import { collect, keyValue, oneOf, positiveInt, positiveNumber } from './option-parsers';

export type Body = Record<string, unknown>;
type Opts = Record<string, unknown>;

export interface SubmitKind {
  kind: string;
  summary: string;
  /** rebuilds, deletes or replaces a server: needs confirmation */
  destructive: boolean;
  options(cmd: Command): void;
  /** the kind's own fields (cloud, server, kind and confirm are added by the caller) */
  fields(opts: Opts): Body;
  /** the confirmation question, for destructive kinds */
  question?(target: string, body: Body): string;
}

const defined = (o: Body): Body => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function retentionOptions(cmd: Command): void {
  cmd
    .option('--policy <name>', 'retention policy the snapshots belong to (default on the service: manual)')
    .option('--keep <n>', "keep this many of the policy's snapshots", positiveInt(1000))
    .option('--max-age-days <days>', "delete the policy's snapshots older than this", positiveNumber);
}

const retentionFields = (o: Opts) => ({ policy: o.policy, keep: o.keep, maxAgeDays: o.maxAgeDays });

/** Options clone, move and rename share. */
function newServerOptions(cmd: Command): void {
  cmd
    .option('--keep-images', 'keep the intermediate images when the job is done')
    .option('--boot-from-volume <GiB>', 'boot the new server from a volume of this size', positiveInt(100_000))
    .option('--availability-zone <zone>', 'availability zone of the new server');
}

const newServerFields = (o: Opts) => ({
  keepImages: o.keepImages,
  bootFromVolume: o.bootFromVolume === undefined ? undefined : { size: o.bootFromVolume },
  availabilityZone: o.availabilityZone,
});

export const SUBMIT_KINDS: readonly SubmitKind[] = [
  {
    kind: 'snapshot',
    summary: 'snapshot a server (an image of its disk, tagged for snapflow)',
    destructive: false,
    options: (cmd) => {
      cmd
        .option('--name <name>', 'image name (default: <server>-snap-<time>)')
        .option('--stop', 'stop the server for a consistent image, start it again after')
        .option('--property <key=value>', 'image property (repeatable)', keyValue);
      retentionOptions(cmd);
    },
    fields: (o) => defined({ name: o.name, stop: o.stop === true ? true : undefined, properties: o.property, ...retentionFields(o) }),
  },
  {
    kind: 'rollback',
    summary: 'rebuild a server from one of its snapshots (replaces its disk)',
    destructive: true,
    options: (cmd) => {
      cmd
        .requiredOption('--image <latest|id|name>', 'the image: latest (the newest snapflow snapshot of the server), an id or a name')
        .option('--allow-foreign-image', 'allow an image snapflow did not make of this server')
        .option('--keep-images', 'keep the image a boot-from-volume snapshot is exported to')
        .option('--export-format <qcow2|raw>', 'disk format of that export (default on the service: qcow2)');
    },
    fields: (o) =>
      defined({
        image: o.image,
        allowForeignImage: o.allowForeignImage === true ? true : undefined,
        keepImages: o.keepImages === true ? true : undefined,
        exportDiskFormat: o.exportFormat,
      }),
    question: (t, b) => `Roll back ${t} to image "${String(b.image)}"? The server is rebuilt and its disk replaced.`,
  },
  {
    kind: 'prune',
    summary: 'delete old snapshots of a server by a retention rule (--dry-run lists them)',
    destructive: false,
    options: retentionOptions,
    fields: (o) => defined(retentionFields(o)),
  },
  {
    kind: 'clone',
    summary: 'a cleaned (virt-sysprep) copy of a server as a new server',
    destructive: false,
    options: (cmd) => {
      cmd
        .requiredOption('--new-name <name>', 'name of the new server')
        .option('--flavor <flavor>', "flavor of the new server (default: the source's)")
        .option('--key-name <name>', 'key pair of the new server')
        .option('--network <none|auto|id>', 'network of the new server')
        .option('--os <LINUX|WINDOWS>', 'operating system property of the uploaded image', oneOf(['LINUX', 'WINDOWS'] as const))
        .option('--slc6', 'the image is SLC6 (its qcow2 is amended to compat 0.10)')
        .option('--delete-path <path>', 'file or directory virt-sysprep deletes (repeatable)', collect);
      newServerOptions(cmd);
    },
    fields: (o) =>
      defined({
        newName: o.newName,
        flavor: o.flavor,
        keyName: o.keyName,
        network: o.network,
        os: o.os,
        slc6: o.slc6 === true ? true : undefined,
        deletePaths: o.deletePath,
        ...newServerFields(o),
      }),
  },
  {
    kind: 'move',
    summary: 'move a server to another project or cloud (snapshot, clean, recreate)',
    destructive: true,
    options: (cmd) => {
      cmd
        .requiredOption('--to-cloud <cloud>', 'destination cloud (a clouds.yaml entry on the service)')
        .option('--keep-hostname', 'keep the hostname: the source is deleted before the new server is created')
        .option('--no-keep-hostname', 'the new server gets a new hostname')
        .option('--delete-source', 'delete the source server at the end (without --keep-hostname)');
      newServerOptions(cmd);
    },
    fields: (o) =>
      defined({ to: { cloud: o.toCloud }, keepHostname: o.keepHostname, deleteSource: o.deleteSource === true ? true : undefined, ...newServerFields(o) }),
    question: (t, b) => `Move ${t} to cloud "${String((b.to as { cloud?: unknown }).cloud)}"? The server is stopped and may be deleted.`,
  },
  {
    kind: 'rename',
    summary: 'rename a server (a new server with the new hostname; the old one is deleted)',
    destructive: true,
    options: (cmd) => {
      cmd.requiredOption('--new-name <name>', 'the new name (and hostname)');
      newServerOptions(cmd);
    },
    fields: (o) => defined({ newName: o.newName, ...newServerFields(o) }),
    question: (t, b) => `Rename ${t} to "${String(b.newName)}"? A new server replaces it and the old one is deleted.`,
  },
  {
    kind: 'discard',
    summary: 'delete a server a clone made, and the images that clone kept (only what a clone made)',
    destructive: true,
    options: (cmd) => {
      cmd.option('--from-job <id>', 'the clone job that made the server: waited for while it runs; the server must be the one it made');
    },
    fields: (o) => defined({ fromJob: o.fromJob }),
    question: (t) => `Delete ${t} and the images its clone kept?`,
  },
];
