/** Where sync.proto lives, for loaders (hq-server, terminal, tests) that read it at run time. */
export const SYNC_PROTO_FILE = new URL('./sync.proto', import.meta.url).pathname;

/** proto-loader options every side uses: int64 as decimal strings, checked into safe integers at the boundary. */
export const SYNC_PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
} as const;
