// Lint: type-aware rules for promises and throws, plus import boundaries for the pure core.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioModules = ['node:fs', 'node:fs/promises', 'node:http', 'node:https', 'node:net', 'undici', 'openai', 'ioredis', 'bullmq'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'examples/**', 'test-artifacts/**', '.threatdraft/**', '.tmp-*/**', 'eslint.config.js', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['src/aivss/**/*.ts', 'schemas/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: ioModules.map((name) => ({ name, message: 'The scoring core and schemas stay pure: no I/O here.' })) },
      ],
    },
  },
);
