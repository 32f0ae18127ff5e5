import { flipFuses, FuseV1Options, FuseVersion, type FuseV1Config } from '@electron/fuses';

/**
 * The fuses burnt into the packaged Electron binary. Each closes a way to run code the
 * app did not ship: RunAsNode (`ELECTRON_RUN_AS_NODE` turns the app into a plain Node
 * with the app's signature and permissions), NODE_OPTIONS / NODE_EXTRA_CA_CERTS and
 * `--inspect` (inject code or a debugger into main), and an `app` folder beside or
 * instead of `app.asar` (OnlyLoadAppFromAsar plus asar integrity validation means only
 * the archive electron-builder hashed can load). Cookie encryption keeps Chromium's
 * cookie store encrypted with the OS keychain. The app serves its UI on `app://`, so
 * `file://` never needs its legacy privileges either.
 *
 * `resetAdHocDarwinSignature`: flipping a fuse edits the binary and breaks its ad-hoc
 * signature, which Apple Silicon refuses to run; electron-builder signs after afterPack
 * when a certificate is configured, but an unsigned arm64 build needs the reset.
 */
export function fuseConfig(options: { platform: string; arch: string }): FuseV1Config {
  return {
    version: FuseVersion.V1,
    resetAdHocDarwinSignature: options.platform === 'darwin' && options.arch === 'arm64',
    [FuseV1Options.RunAsNode]: false,
    [FuseV1Options.EnableCookieEncryption]: true,
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
    [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  };
}

/** Burns {@link fuseConfig} into the Electron binary (or `.app` bundle) at `binaryPath`. */
export async function applyFuses(
  binaryPath: string,
  options: { platform: string; arch: string },
): Promise<void> {
  await flipFuses(binaryPath, fuseConfig(options));
}
