/**
 * The layering of src/ (README, Layout), checked by `npm run lint`:
 *
 *   config/ ← database/ ← common/ ← domain rules (*.rules.ts) ← policy/ ← domain modules ← composition root
 *
 * - config/ and database/ know nothing of the product; common/ holds what every module uses and knows no module.
 * - A module may use another only through its public surface: its Nest module, services, pure rules, SQL
 *   fragments, event definitions and DTOs. Repositories, entities, controllers and jobs are its own business.
 * - Pure rules stay pure: no Nest, no TypeORM, so they unit-test in milliseconds.
 * - The composition root (src/*.ts: main, app module and factory, entity list) may import anything; nothing
 *   below it imports it.
 */
const DOMAINS = '(organizations|brands|trainees|certifications|placements|statistics|events|audit|health|dashboard|webhooks)';
const INFRASTRUCTURE = '(config|database|common)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes two modules one without saying so (and Nest providers undefined at decoration time).',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'config-is-a-leaf',
      severity: 'error',
      comment: 'The configuration is read before anything else exists.',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/config/' },
    },
    {
      name: 'database-knows-no-product',
      severity: 'error',
      comment: 'The data source, transactions and migration runner serve every module and know none.',
      from: { path: '^src/database/' },
      to: { path: '^src/', pathNot: '^src/(config|database)/' },
    },
    {
      name: 'common-imports-no-module',
      severity: 'error',
      comment: 'common/ is what every module uses; a module it needs is plugged in from outside (a port, e.g. ACTOR_RESOLVER).',
      from: { path: '^src/common/' },
      to: { path: '^src/', pathNot: `^src/${INFRASTRUCTURE}/` },
    },
    {
      name: 'policy-reads-rules-only',
      severity: 'error',
      comment: 'The access policy decides from facts: it may read pure domain rules, never services or SQL.',
      from: { path: '^src/policy/' },
      to: { path: `^src/${DOMAINS}/`, pathNot: '\\.rules\\.ts$' },
    },
    {
      name: 'rules-are-pure',
      severity: 'error',
      comment: 'State machines, checksums and statistics maths unit-test without Nest or a database.',
      from: { path: '\\.rules\\.ts$|/statistics/(statistics\\.math|tallies)\\.ts$' },
      to: { path: 'node_modules/(@nestjs|typeorm|bullmq|ioredis|pg)/|^src/.*\\.(service|repository|module|controller|entity)\\.ts$' },
    },
    {
      name: 'no-foreign-internals',
      severity: 'error',
      comment:
        "A module reaches another only through its public surface (module, services, rules, fragments, events, DTOs); its repository, entities, controllers and jobs are internal.",
      from: { path: `^src/${DOMAINS}/` },
      to: {
        path: `^src/${DOMAINS}/`,
        pathNot: ['^src/$1/', '\\.(module|service|rules|fragments|events)\\.ts$', '/dto/'],
      },
    },
    {
      name: 'only-the-root-imports-the-root',
      severity: 'error',
      comment: 'The composition root wires the modules; a module that imported it would import every other module.',
      from: { path: '^src/[^/]+/' , pathNot: '^src/cli/' },
      to: { path: '^src/[^/]+\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(test|bench|scripts|dist)/' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
