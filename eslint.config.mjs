import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '.nx/**',
      'libs/schemas/src/generated/**',
      'tools/codegen/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: [
                'type:core',
                'type:feature',
                'type:domain',
                'type:platform',
                'type:schema',
              ],
            },
            {
              sourceTag: 'type:feature',
              onlyDependOnLibsWithTags: [
                'type:core',
                'type:domain',
                'type:platform',
                'type:schema',
              ],
              bannedExternalImports: ['@nestjs/*'],
            },
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['type:core', 'type:domain', 'type:schema'],
              bannedExternalImports: ['@nestjs/*', 'kafkajs', '@kafkajs/*', 'pg', 'fastify'],
            },
            {
              sourceTag: 'type:platform',
              onlyDependOnLibsWithTags: ['type:core', 'type:platform', 'type:schema'],
            },
            { sourceTag: 'type:schema', onlyDependOnLibsWithTags: ['type:core', 'type:schema'] },
            { sourceTag: 'type:core', onlyDependOnLibsWithTags: [] },
            {
              sourceTag: 'type:testing',
              onlyDependOnLibsWithTags: [
                'type:core',
                'type:testing',
                'type:feature',
                'type:platform',
                'type:domain',
                'type:schema',
              ],
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
      },
    },
  },
  {
    // Nx loads a local generator with require(): plain CommonJS, no build step.
    files: ['tools/generators/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
