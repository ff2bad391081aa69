// ESLint for the viewer's and the console's plain ES modules (web/, served as
// they are, no build step), their tests (tests/web/, run by node) and the
// benchmark's probe (bench/probe.js, injected into the viewer's page).
// scripts/lint.sh runs it from the repository's root, so the paths below are
// from there. The house style (STYLE.md §6): `const` and `let` only, `console`
// only from the viewer's logging module, nothing unused.
import js from "@eslint/js";
import globals from "globals";

export default [
    js.configs.recommended,
    {
        languageOptions: {
            ecmaVersion: "latest",
            sourceType: "module",
        },
        linterOptions: {
            reportUnusedDisableDirectives: "error",
        },
        rules: {
            "no-var": "error",
            "prefer-const": "error",
            "no-unused-vars": "error",
            eqeqeq: ["error", "always"],
        },
    },
    {
        files: ["web/**/*.js"],
        languageOptions: { globals: globals.browser },
        rules: { "no-console": "error" },
    },
    {
        // The one module that calls console.
        files: ["web/viewer/log.js"],
        rules: { "no-console": "off" },
    },
    {
        // Injected by the benchmark into the viewer's page: a classic script.
        files: ["bench/probe.js"],
        languageOptions: { sourceType: "script", globals: globals.browser },
    },
    {
        files: ["tests/web/**/*.mjs"],
        languageOptions: { globals: globals.node },
    },
];
