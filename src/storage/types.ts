// Shapes shared by several storage modules.
export interface RaftStorageLayout {
  logDbDir: string;
  snapshotsDir: string;
  peersJson: string;
  peersInfo: string;
}
