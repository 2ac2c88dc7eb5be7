import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** SQL has one home per table: its module's repository (src/database/ and the migrations build and run SQL too). */
const SQL_OUTSIDE_REPOSITORIES = {
  selector: "CallExpression[callee.property.name=/^(query|createQueryBuilder|getRepository|createQueryRunner)$/]",
  message: 'SQL lives in a repository (*.repository.ts): add a named method there and call it.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'jest.config.js', '.dependency-cruiser.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-unsafe-function-type': 'off',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['src/**/*.ts'],
    // *.sql.ts: schema declared in code (functions, triggers) that the migrations install.
    ignores: ['src/**/*.repository.ts', 'src/**/*.sql.ts', 'src/database/**'],
    rules: { 'no-restricted-syntax': ['error', SQL_OUTSIDE_REPOSITORIES] },
  },
  { files: ['test/**', 'bench/**', 'scripts/**'], rules: { 'no-console': 'off' } },
  // The pages' build script runs on Node.
  { files: ['web/*.mjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } }, rules: { 'no-console': 'off' } },
  // Response bodies in tests are whatever the server sent; asserting on them is the point.
  { files: ['test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
