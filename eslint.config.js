// Lint rules that keep the house style mechanical (docs/contributing/style.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { boundaries } from './scripts/eslint/boundaries.mjs';

const restrictedPaths = [
  { name: 'prom-client', importNames: ['register'], message: 'Register on an injected Registry.' },
  { name: 'lodash', message: 'No lodash.' },
  { name: 'moment', message: 'No moment.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'pkg/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after'] },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'Export names explicitly (no export *).' },
        { selector: 'TSEnumDeclaration', message: 'Use an `as const` object instead of enum.' },
        { selector: 'MemberExpression[object.name="test"][property.name="only"]', message: 'No .only in tests.' },
        { selector: 'MemberExpression[object.name="describe"][property.name="only"]', message: 'No .only in tests.' },
      ],
      'no-restricted-imports': ['error', { paths: restrictedPaths }],
    },
  },
  {
    files: ['pkg/**/*.ts'],
    ignores: ['pkg/myelin/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: restrictedPaths, patterns: [
        { group: ['../myelin/*', '../../myelin/*', '../../../myelin/*'], message: 'Only cmd/ imports the composition root.' },
      ] }],
    },
  },
  {
    // Layering (pkg/README.md): the data model and engine know nothing about tenants, rings or
    // components; nothing below the composition root imports it.
    files: ['pkg/model/**/*.ts', 'pkg/storage/**/*.ts', 'pkg/tsdb/**/*.ts', 'pkg/promql/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: restrictedPaths, patterns: [
        { group: ['**/tenant/*', '**/ring/*', '**/kv/*', '../myelin/*', '../../myelin/*', '../../../myelin/*', '**/distributor/*', '**/ingester/*', '**/querier/*', '**/store-gateway/*', '**/compactor/*', '**/ruler/*'],
          message: 'The data model and engine must not depend on tenancy, rings or components.' },
      ] }],
    },
  },
  {
    // pkg/README.md's rule made mechanical: a package is reached only through its index.ts (or a
    // component's client/), test helpers only from tests and benchmarks; pkg/ never imports
    // integration/ or bench/.
    files: ['**/*.ts'],
    plugins: { myelin: { rules: { boundaries } } },
    rules: { 'myelin/boundaries': 'error' },
  },
  {
    // Entry points and scripts that print for a person.
    files: ['cmd/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
