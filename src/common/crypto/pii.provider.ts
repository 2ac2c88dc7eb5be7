import { Logger, Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { parsePiiKeyring, PiiCipher } from './pii-cipher';

export const PII_CIPHER = Symbol('PII_CIPHER');

/** The one cipher for personal data at rest: trainee fields, and stored responses that may contain them. */
export const piiCipherProvider: Provider = {
  provide: PII_CIPHER,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig): PiiCipher => {
    const { keyring, generated } = parsePiiKeyring(config.piiEncryptionKeys, config.piiHmacKey, { allowDevelopmentKeys: !config.production });
    if (generated) new Logger('PII').warn('PII_ENCRYPTION_KEYS and PII_HMAC_KEY are not set: using development keys (never in production)');
    return new PiiCipher(keyring);
  },
};
