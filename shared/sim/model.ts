// Plain records held by the simulator; views (JSON shapes) live with each service.

export interface Project {
  id: string;
  name: string;
  domainId: string;
}
export interface User {
  id: string;
  name: string;
  domainId: string;
  password: string;
  /** project id -> role names */
  roles: Map<string, string[]>;
}
export interface Token {
  id: string;
  userId: string;
  projectId: string;
  roles: string[];
  methods: string[];
  issuedAt: number;
  expiresAt: number;
  auditId: string;
  appCredId?: string;
}
export interface AppCred {
  id: string;
  name: string;
  secret: string;
  userId: string;
  projectId: string;
  roles: string[];
  description: string | null;
  expiresAt: number | null;
  unrestricted: boolean;
}
export interface Flavor {
  id: string;
  name: string;
  ram: number;
  disk: number;
  vcpus: number;
}

export interface Bdm {
  volumeId: string;
  bootIndex: number;
  deleteOnTermination: boolean;
  device: string;
}
export interface Server {
  id: string;
  /** creation order: breaks created-time ties when sorting */
  seq: number;
  name: string;
  projectId: string;
  userId: string;
  /** null for a volume-backed server (Nova shows image "") */
  imageId: string | null;
  flavorId: string;
  metadata: Record<string, string>;
  keyName: string | null;
  vmState: 'building' | 'active' | 'stopped' | 'error' | 'deleted';
  taskState: string | null;
  powerState: number;
  created: number;
  updated: number;
  launchedAt: number | null;
  reservationId: string;
  instanceName: string;
  bdms: Bdm[];
  description: string | null;
  /** Nova's record of why the server is in ERROR (shown while it is). */
  fault?: { code: number; message: string; created: number };
}

export type ImageStatus = 'queued' | 'saving' | 'active' | 'killed' | 'deleted' | 'pending_delete' | 'deactivated';
export interface Member {
  memberId: string;
  status: 'pending' | 'accepted' | 'rejected';
  createdAt: number;
  updatedAt: number;
}
export interface Image {
  id: string;
  /** creation order: breaks created-time ties when sorting */
  seq: number;
  name: string | null;
  status: ImageStatus;
  visibility: 'public' | 'private' | 'shared' | 'community';
  owner: string;
  diskFormat: string | null;
  containerFormat: string | null;
  size: number | null;
  virtualSize: number | null;
  checksum: string | null;
  hashAlgo: string | null;
  hashValue: string | null;
  minRam: number;
  minDisk: number;
  protected: boolean;
  hidden: boolean;
  tags: string[];
  /** user/extra properties, serialized before the core fields as Glance does */
  props: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  /** file holding the bytes, in the simulator's temp dir */
  filePath: string | null;
  members: Map<string, Member>;
}

/** A queued image with no name, data or properties: what Glance's create starts from. */
export function blankImage(id: string, seq: number, owner: string, now: number): Image {
  return {
    id,
    seq,
    name: null,
    status: 'queued',
    visibility: 'shared',
    owner,
    diskFormat: null,
    containerFormat: null,
    size: null,
    virtualSize: null,
    checksum: null,
    hashAlgo: null,
    hashValue: null,
    minRam: 0,
    minDisk: 0,
    protected: false,
    hidden: false,
    tags: [],
    props: {},
    createdAt: now,
    updatedAt: now,
    filePath: null,
    members: new Map(),
  };
}

export interface Attachment {
  id: string;
  serverId: string;
  device: string;
  attachedAt: number;
}
export type VolumeStatus =
  | 'creating'
  | 'available'
  | 'in-use'
  | 'error'
  | 'deleting'
  | 'error_deleting'
  | 'uploading'
  | 'downloading'
  | 'reserved'
  | 'attaching'
  | 'detaching';
export interface Volume {
  id: string;
  name: string | null;
  projectId: string;
  userId: string;
  size: number;
  status: VolumeStatus;
  bootable: boolean;
  createdAt: number;
  updatedAt: number | null;
  snapshotId: string | null;
  sourceVolid: string | null;
  description: string | null;
  metadata: Record<string, string>;
  /** volume_image_metadata (strings, as Cinder returns them) */
  imageMeta: Record<string, string> | null;
  attachments: Attachment[];
}
export type SnapshotStatus = 'creating' | 'available' | 'error' | 'deleting' | 'error_deleting';
export interface VolSnapshot {
  id: string;
  name: string | null;
  volumeId: string;
  projectId: string;
  userId: string;
  size: number;
  status: SnapshotStatus;
  createdAt: number;
  updatedAt: number | null;
  description: string | null;
  metadata: Record<string, string>;
  /** The volume's volume_image_metadata when the snapshot was taken (Cinder copies it to volumes made from it). */
  imageMeta: Record<string, string> | null;
}
