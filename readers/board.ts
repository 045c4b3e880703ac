/** Entrypoint: serves the live baggage-hall board on BOARD_PORT. */
import { startBoard } from "../lib/board/board.ts";
import { runService } from "../lib/infra/service.ts";

await runService("board", startBoard);
