// Every site table's columns with type and description, for the Data page (loaders/tables/columns.ts).
import { describeTables } from "../../loaders/tables/columns.js";

process.stdout.write(JSON.stringify(describeTables()));
