// Lint configuration: ESLint's and typescript-eslint's recommended rules, plus the project's own.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "dist/",
      ".dist-*/",
      ".tools/",
      "docs/api/",
      "src/schema/generated/",
      "benchmarks/results/",
      "grammar/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: "module" },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      eqeqeq: ["error", "always"],
      "no-control-regex": "off",
    },
  },
);
