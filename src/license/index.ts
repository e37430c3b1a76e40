// License verification and the temporary license (Part A §14), pure of HTTP: the HTTP
// layer turns a LicenseError into 400 with its message; the agent loads the keys at start.

export { LicenseError, type LicenseErrorReason } from './errors.ts';
export { LicenseKeyError, keyId, loadPublicKeys, type TrustedKey } from './keys.ts';
export { LICENSE_PRODUCT, verifyLicense, type VerifyOptions } from './verify.ts';
export { LICENSE_ALG } from './jws.ts';
export {
  TEMPORARY_LICENSE_CUSTOMER,
  TEMPORARY_LICENSE_DURATION_MS,
  TEMPORARY_LICENSE_FEATURES,
  TEMPORARY_LICENSE_ID,
  TEMPORARY_LICENSE_MODULES,
  isTemporaryLicense,
  temporaryLicense,
} from './temporary.ts';
export { licenseStatus, type LicenseStatus } from './status.ts';
export { generateLicenseKeyPair, signLicense, type LicenseKeyPair } from './sign.ts';
export { formatRfc3339, parseRfc3339 } from './time.ts';
