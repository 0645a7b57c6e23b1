import { defineConfig } from "vitest/config";

// Two tiers: unit tests never touch a database; integration tests (*.int.test.ts) get a fresh
// PostgreSQL database and a private Redis key prefix per run (see test/setup/integration.ts).
// `npm test` provisions the servers; see scripts/test.mjs.
const shared = {
  // Pothos and Apollo must share one graphql module instance ("another module or realm").
  alias: { graphql: "graphql/index.js" },
};

export default defineConfig({
  test: {
    projects: [
      {
        resolve: shared,
        test: {
          name: "unit",
          sequence: { groupOrder: 0 },
          include: ["{apps,packages,test}/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/*.sim.test.ts", "**/node_modules/**"],
        },
      },
      {
        // Long multi-process scenario runs (`npm run test:sim`): real processes, real time.
        resolve: shared,
        test: {
          name: "sim",
          sequence: { groupOrder: 2 },
          include: ["{apps,packages,test}/**/*.sim.test.ts"],
          exclude: ["**/node_modules/**"],
          testTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        resolve: shared,
        test: {
          name: "integration",
          sequence: { groupOrder: 1 },
          include: ["{apps,packages,test}/**/*.int.test.ts"],
          exclude: ["**/node_modules/**"],
          globalSetup: ["test/setup/integration.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Files run in parallel workers against one database; keep it modest on 2 cores.
          maxWorkers: 2,
        },
      },
    ],
  },
});
