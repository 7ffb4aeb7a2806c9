import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/**
 * The layering, as Nx tags (see docs/architecture.md). `type:core` (errors, Result) is the leaf
 * every project may import; `type:tooling` (the local stack, the generators) serves tests and
 * developers and no app; `type:testing` (fixtures, the test stack) serves tests only.
 * `type:wiring` is Nest wiring several apps share that joins feature libs (which import neither
 * Nest nor each other): service-kit (every service's composition root, which also applies the
 * right-to-erasure suppression list to every stage) and, on top of it, the providers every sink
 * needs.
 */
const layers = {
  'type:app': ['type:wiring', 'type:feature', 'type:domain', 'type:platform', 'type:schema'],
  'type:wiring': ['type:wiring', 'type:feature', 'type:domain', 'type:platform', 'type:schema'],
  'type:feature': ['type:domain', 'type:platform', 'type:schema'],
  'type:domain': ['type:domain', 'type:schema'],
  'type:platform': ['type:platform', 'type:schema'],
  'type:schema': ['type:schema'],
  'type:core': [],
  'type:tooling': ['type:tooling', 'type:platform', 'type:schema'],
  'type:testing': [
    'type:testing',
    'type:tooling',
    'type:feature',
    'type:platform',
    'type:domain',
    'type:schema',
  ],
};
const banned = {
  'type:feature': ['@nestjs/*'],
  'type:domain': ['@nestjs/*', 'kafkajs', '@kafkajs/*', 'pg', 'fastify'],
};

/** Spec files may also import the testing lib's fixtures; production code may not. */
const boundaries = (forSpecs) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: Object.entries(layers).map(([sourceTag, tags]) => ({
      sourceTag,
      onlyDependOnLibsWithTags: [
        ...new Set([
          'type:core',
          ...(sourceTag === 'type:core' ? [] : tags),
          ...(forSpecs && sourceTag !== 'type:core' ? ['type:testing'] : []),
        ]),
      ],
      ...(banned[sourceTag] ? { bannedExternalImports: banned[sourceTag] } : {}),
    })),
  },
];

const specFiles = ['**/*.spec.ts', '**/*.fixture.ts'];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/dist-spec/**',
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
      '@nx/enforce-module-boundaries': boundaries(false),
    },
  },
  {
    files: specFiles,
    rules: { '@nx/enforce-module-boundaries': boundaries(true) },
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
