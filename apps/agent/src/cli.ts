import { Command } from "commander";

const program = new Command("cohort")
  .description("Cohort distributed-validator node agent and tools")
  .version("0.1.0");
await program.parseAsync();
