import { Logger, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { BrandsModule } from '../brands/brands.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { TraineesModule } from '../trainees/trainees.module';
import { CertificationsRepository } from './certifications.repository';
import { CertificateVerificationController, CertificationsController } from './certifications.controller';
import { CredentialDocumentsController } from './credential-documents.controller';
import { CertificationsService } from './certifications.service';
import { CREDENTIAL_KEYRING, CredentialKeyring, loadCredentialKeyring } from './credential';
import { StatusListPublisher } from './status-lists.service';

@Module({
  imports: [TraineesModule, BrandsModule, OrganizationsModule],
  controllers: [CertificationsController, CertificateVerificationController, CredentialDocumentsController],
  providers: [
    {
      // Read once at start-up: a bad CREDENTIAL_SIGNING_KEY fails the boot, naming the problem but never the key.
      provide: CREDENTIAL_KEYRING,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig): Promise<CredentialKeyring> => {
        const { keyring, generated } = await loadCredentialKeyring(config.credentialSigningKey, { allowDevelopmentKey: !config.production });
        if (generated) {
          new Logger('Credentials').warn(
            `CREDENTIAL_SIGNING_KEY is not set: signing certificates with a generated development key (kid ${keyring.current.kid}); ` +
              'credentials signed now will not verify after a restart (never in production)',
          );
        }
        return keyring;
      },
    },
    CertificationsRepository,
    StatusListPublisher,
    CertificationsService,
  ],
  exports: [CertificationsService],
})
export class CertificationsModule {}
