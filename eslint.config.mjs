// ESLint flat config: typescript-eslint's type-checked rules for the Node side of the monorepo (api,
// simulator, libs, tests). `npm run lint`; `npm run check` runs tsc and then this.
// Not covered yet: apps/dashboard gets its own block with the Next.js rules (eslint-config-next) later,
// and bench/ (plain .mjs load scripts) is left out for now.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.next/**', 'apps/dashboard/**', 'bench/**', 'coverage/**'] },
  {
    files: ['apps/api/src/**/*.ts', 'apps/simulator/src/**/*.ts', 'libs/*/src/**/*.ts', 'test/**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      // The project service finds the nearest tsconfig.json (the root one includes all these folders).
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // An un-awaited promise loses its rejection; in tests an un-awaited expect(...).resolves asserts nothing.
      '@typescript-eslint/no-floating-promises': 'error',
      // Code enums are mapped with exhaustive switches: a new union member must fail lint, not fall through.
      // A deliberate `default:` ("every other message type needs nothing here") still counts as exhaustive;
      // a switch over a plain string/number must have one.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: true },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      // Full strength (checksVoidReturn included): no ws/mqtt/Nest handler here is handed an async callback.
      // If one ever must be, relax with { checksVoidReturn: { arguments: false } } rather than disabling it.
      '@typescript-eslint/no-misused-promises': 'error',
      // Type-only imports say so (`import { type X }`, the house style). The rule skips files that have
      // decorators: with emitDecoratorMetadata, Nest's injection needs those imports at runtime.
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      // Off: Nest lifecycle hooks, interface implementations and test fakes are async by contract without
      // awaiting anything; an `async` that never awaits is harmless, a missing one is what the rules above catch.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      // expect(repo.save).toHaveBeenCalled() passes a method reference on purpose.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Plain JavaScript (config files, the Jest reporter): no type information.
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended, tseslint.configs.disableTypeChecked],
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly' },
    },
  },
);
