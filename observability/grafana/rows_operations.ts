/** The operations rows of the dashboard: latencies, errors and dead letters, lag, Redis, the stream, processes. */
import { q, quantiles, type RowSpec, series, single, total } from "./panel_spec.ts";

export const OPERATIONS_ROWS: readonly RowSpec[] = [
  {
    title: "Latencies",
    panels: [
      series(
        "Flight upsert latency",
        quantiles("flight_processing_seconds"),
        "Time of one Lua upsert of a chunk of flights.",
        "s",
      ),
      series(
        "Bag upsert latency",
        quantiles("bag_processing_seconds"),
        "Time of one Lua upsert of a chunk of bags.",
        "s",
      ),
      series(
        "Arrival scan duration",
        [
          ...quantiles("arriving_flight_work_processing_seconds", [0.5, 0.95]),
          q(
            "sum(rate(arriving_flight_work_processing_seconds_sum[5m])) / sum(rate(arriving_flight_work_processing_seconds_count[5m]))",
            "mean",
          ),
        ],
        "Duration of a whole scan; near the schedule interval (60 s) ticks are skipped. The buckets stop at 30 s: the mean shows longer scans.",
        "s",
      ),
      series(
        "Bridge append latency",
        quantiles("bridge_append_seconds"),
        "Time of one Lua append of a chunk of work messages to the stream.",
        "s",
      ),
      series(
        "Scan to stream latency",
        quantiles("bridge_scan_to_stream_seconds", [0.5, 0.95]),
        "From a work message's scan to its entries in the Redis stream.",
        "s",
      ),
      series(
        "Change to publication latency",
        quantiles("work_change_to_publish_seconds", [0.5, 0.99]),
        "From the upsert that changed a due flight's work to the publication of its new revision (the marks path).",
        "s",
      ),
      series(
        "First publication lead time",
        quantiles("work_publish_lead_seconds", [0.01, 0.5]),
        "Arrival time minus publication time of first revisions: near SCAN_WINDOW_SECONDS when flights are published as they enter the window.",
        "s",
      ),
      series(
        "Messages per Lua call (median)",
        [
          q("histogram_quantile(0.5, sum by (le) (rate(flight_upsert_batch_size_bucket[5m])))", "flights"),
          q("histogram_quantile(0.5, sum by (le) (rate(bag_upsert_batch_size_bucket[5m])))", "bags"),
          q("histogram_quantile(0.5, sum by (le) (rate(bridge_batch_size_bucket[5m])))", "work messages (bridge)"),
        ],
        "Messages applied per Lua call by each consumer.",
        "short",
      ),
    ],
  },
  {
    title: "Errors and dead letters",
    panels: [
      single(
        "Dead-lettered messages / s",
        "sum by (topic) (rate(invalid_messages_total[5m]))",
        "{{topic}}",
        "Invalid messages sent to the dead-letter topic (the source topic plus .dlq), by source topic.",
        "ops",
      ),
      {
        ...total(
          "Dead-lettered messages",
          "sum(invalid_messages_total)",
          "All invalid messages dead-lettered since the consumers started.",
        ),
        redAbove: 1,
      },
      {
        ...total(
          "Redis state resyncs",
          "sum(redis_state_resyncs_total)",
          "Partitions replayed from Kafka since the consumers started because Redis had lost their data.",
        ),
        redAbove: 1,
      },
      {
        ...total(
          "Targets down",
          "sum(up == bool 0)",
          "Scrape targets that do not answer (TargetDown alerts after 2 minutes).",
        ),
        redAbove: 1,
      },
      single(
        "Redis state resyncs (last hour)",
        "sum by (topic) (increase(redis_state_resyncs_total[1h]))",
        "{{topic}}",
        "Partitions replayed from Kafka because Redis had lost their data.",
        "short",
      ),
      single(
        "Producer send retries / s",
        "sum by (topic) (rate(producer_send_errors_total[5m]))",
        "{{topic}}",
        "Test producer sends that failed and were retried.",
        "ops",
      ),
      single(
        "Processes up",
        "sum by (job) (up)",
        "{{job}}",
        "Scraped targets answering, per job (replicas count separately).",
        "short",
        24,
      ),
    ],
  },
  {
    title: "Consumer lag (queue depth)",
    panels: [
      {
        ...total(
          "Total lag",
          "sum(consumer_lag_messages)",
          "Messages waiting in Kafka for all consumers (the archiver's included), at their last fetch.",
        ),
        redAbove: 1000,
      },
      total(
        "Largest partition lag",
        "max(consumer_lag_messages)",
        "The partition furthest behind: one slow or hot partition shows here first.",
      ),
      single(
        "Lag by topic",
        "sum by (job, topic) (consumer_lag_messages)",
        "{{job}} {{topic}}",
        "Messages behind each topic's high watermark for each consumer (the archiver reads the input topics too), summed over partitions.",
        "short",
        12,
      ),
      single(
        "Lag by partition",
        "max by (job, topic, partition) (consumer_lag_messages)",
        "{{job}} {{topic}}/{{partition}}",
        "Messages behind per partition: one hot partition shows as one line.",
        "short",
        12,
      ),
    ],
  },
  {
    title: "Redis",
    panels: [
      total("Redis memory used", "sum(redis_memory_used_bytes)", "Memory Redis uses now.", "bytes"),
      total("Keys", "sum(redis_db_keys)", "Keys in all Redis databases."),
      total("Connected clients", "sum(redis_connected_clients)", "Client connections to Redis now."),
      series(
        "Memory",
        [
          q("sum(redis_memory_used_bytes)", "used"),
          q("sum(redis_memory_used_rss_bytes)", "rss"),
          q("sum(redis_memory_max_bytes)", "maxmemory (0: no limit)"),
        ],
        "Redis memory used, resident set size and the maxmemory limit.",
        "bytes",
      ),
      single(
        "Commands / s",
        "sum(rate(redis_commands_processed_total[1m]))",
        "commands/s",
        "Commands Redis processed.",
        "ops",
      ),
      single("Keys by database", "sum by (db) (redis_db_keys)", "{{db}}", "Keys in each Redis database.", "short"),
      single(
        "Busy time by command (top 5)",
        "topk(5, sum by (cmd) (rate(redis_commands_duration_seconds_total[1m])))",
        "{{cmd}}",
        "Share of Redis' single thread spent per command; evalsha is the Lua scripts.",
        "percentunit",
      ),
      single(
        "Connected clients",
        "sum(redis_connected_clients)",
        "clients",
        "Client connections to Redis.",
        "short",
      ),
      series(
        "Expired and evicted keys / s",
        [
          q("sum(rate(redis_expired_keys_total[5m]))", "expired"),
          q("sum(rate(redis_evicted_keys_total[5m]))", "evicted"),
        ],
        "Keys removed by their TTL, and keys evicted under memory pressure (should stay 0 with noeviction).",
        "ops",
      ),
    ],
  },
  {
    title: "Bridge and work stream",
    panels: [
      total("Work stream length", "max(work_stream_length)", "Entries in the Redis work stream after the last append."),
      total("Work messages mirrored", "sum(bridge_work_messages_total)", "Work messages the bridge mirrored."),
      total(
        "Stream entries appended",
        "sum(bridge_entries_mirrored_total)",
        "Entries appended to the stream (one per bag).",
      ),
      single(
        "Work messages mirrored / s",
        "sum(rate(bridge_work_messages_total[1m]))",
        "work messages/s",
        "Work messages the bridge took from Kafka into the stream.",
        "ops",
        12,
      ),
      series(
        "Stream entries / s",
        [
          q("sum(rate(bridge_entries_mirrored_total[1m]))", "appended"),
          q("sum(rate(bridge_duplicates_skipped_total[1m]))", "duplicates skipped"),
        ],
        "Entries appended (one per bag) and entries skipped as already mirrored.",
        "ops",
        12,
      ),
      single(
        "Work stream length",
        "max(work_stream_length)",
        "entries",
        "Stream length over time (trimmed by STREAM_MAXLEN and STREAM_MAX_AGE_SECONDS).",
        "short",
        12,
      ),
      single(
        "Bridge lag",
        'sum by (partition) (consumer_lag_messages{job="bridge"})',
        "partition {{partition}}",
        "Work messages waiting in Kafka for the bridge.",
        "short",
        12,
      ),
    ],
  },
  {
    title: "Board and connection risk",
    panels: [
      series(
        "Connection risk",
        [q("max by (grade) (connection_risk_bags)", "{{grade}}")],
        "Transfer bags of the flights in the window by grade (critical, hot, warm, ok), as of the scanner's last whole scan.",
        "short",
        12,
      ),
      series(
        "Stream entry to board event",
        quantiles("board_entry_to_event_seconds"),
        "From the bridge writing a stream entry to the board sending it to the pages.",
        "s",
        12,
      ),
      total("Board pages connected", "sum(board_clients)", "Pages connected to the boards' event streams."),
      total(
        "Slow pages closed",
        "sum(board_slow_clients_closed_total)",
        "Event streams closed because the page stopped reading (it reconnects and catches up).",
      ),
    ],
  },
  {
    title: "Processes",
    panels: [
      single(
        "Resident memory by job",
        'sum by (job) (process_resident_memory_bytes{job!~"redis|prometheus"})',
        "{{job}}",
        "Memory of the workers (all replicas of a job summed).",
        "bytes",
      ),
      single(
        "CPU by job",
        'sum by (job) (rate(process_cpu_seconds_total{job!~"redis|prometheus"}[1m]))',
        "{{job}}",
        "CPU cores used by the workers.",
        "short",
      ),
      single(
        "Event loop lag p99",
        "max by (job) (nodejs_eventloop_lag_p99_seconds)",
        "{{job}}",
        "Event-loop delay of the workers: long Lua calls or big batches block it.",
        "s",
      ),
    ],
  },
];
