import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', Blob: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
    },
  },
  // Area boundaries (docs/architecture.md; also checked with cycles in test/platform/architecture.test.ts).
  {
    files: ['src/core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/sales/**', '**/crm/**', '**/contracts/**', '**/demo/**'], message: 'core imports no product area' }] }] },
  },
  {
    files: ['src/sales/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/crm/**', '**/contracts/**', '**/demo/**'], message: 'sales imports neither CRM nor contracts' }] }] },
  },
);
