/**
 * The development Stalela Cloud root key, re-exported from protocol/security/dev-root.ts (where the
 * daemon reads it too) so emulator code and tests keep importing it from here.
 */
export {
  DEV_CLOUD_ROOT_LABEL,
  DEV_CLOUD_ROOT_PUBLIC_KEY,
  DEV_CLOUD_ROOT_SEED,
} from "../protocol/security/dev-root.js";
