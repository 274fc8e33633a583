export { FunctionSourceChecker } from "./function-source-checker.ts";
