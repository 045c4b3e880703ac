/** Where the test stack listens: its own ports and folder, never those of a dev stack. */
export const TEST_STACK_ENV = {
  STACK_DIR: ".stack/test",
  STACK_REDIS_PORT: "16379",
  STACK_KAFKA_PORT: "19092",
  STACK_KAFKA_CONTROLLER_PORT: "19093",
  STACK_POSTGRES_PORT: "15432",
  KAFKA_BROKERS: "127.0.0.1:19092",
  REDIS_URL: "redis://127.0.0.1:16379",
  POSTGRES_URL: "postgres://baggage_router:baggage-router@127.0.0.1:15432/baggage_router",
} as const;
