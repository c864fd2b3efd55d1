/**
 * The tool a user would pick instead of stocksync's merge: Debezium's JDBC sink connector
 * (`io.debezium.connector.jdbc.JdbcSinkConnector`, https://debezium.io/documentation/reference/3.5/connectors/jdbc.html),
 * run on the same Kafka Connect as the source connectors, writing the same topics into a
 * throwaway PostgreSQL database — the bench's side-by-side comparison.
 */
import { ENV_CONFIG_PROVIDER, type ConnectorFile } from '../../src/connectors/apply.ts';
import type { DatabaseEndpoint } from '../../src/config/endpoints.ts';

/** Options of a JDBC sink connector. */
export interface JdbcSinkOptions {
  /** Connector name, e.g. `stocksync-bench-jdbc-sink`. */
  name: string;
  /** Topics it reads, from their earliest offsets (its consumer group is `connect-<name>`). */
  topics: string[];
  /**
   * The PostgreSQL database it writes (created by the caller on the canonical store's server), as
   * Kafka Connect reaches it; Connect takes the password from its own `STOCKSYNC_CANONICAL_PASSWORD`.
   */
  target: Omit<DatabaseEndpoint, 'password'>;
  /** Key and value converter of the topics: Debezium's JSON with schemas, or Avro through the registry. */
  converter: { kind: 'json' } | { kind: 'avro'; apicurioUrl: string };
}

/**
 * A JDBC sink connector config in upsert mode keyed by the record key
 * (`insert.mode=upsert`, `primary.key.mode=record_key`), applying deletes (`delete.enabled`),
 * creating and evolving its tables (`schema.evolution=basic`), one table per topic.
 */
export function jdbcSinkConnector(options: JdbcSinkOptions): ConnectorFile {
  const { target } = options;
  const converter: Record<string, string> =
    options.converter.kind === 'json'
      ? {
          'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
          'key.converter.schemas.enable': 'true',
          'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
          'value.converter.schemas.enable': 'true',
        }
      : {
          'key.converter': 'io.apicurio.registry.utils.converter.AvroConverter',
          'key.converter.apicurio.registry.url': options.converter.apicurioUrl,
          'key.converter.apicurio.registry.as-confluent': 'true',
          'key.converter.apicurio.registry.use-id': 'contentId',
          'value.converter': 'io.apicurio.registry.utils.converter.AvroConverter',
          'value.converter.apicurio.registry.url': options.converter.apicurioUrl,
          'value.converter.apicurio.registry.as-confluent': 'true',
          'value.converter.apicurio.registry.use-id': 'contentId',
        };
  return {
    name: options.name,
    config: {
      'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
      'tasks.max': '1',
      topics: options.topics.join(','),
      'connection.url': `jdbc:postgresql://${target.host}:${target.port}/${target.database}`,
      'connection.username': target.user,
      // Resolved by Connect from its environment: the config it stores holds no secret (docs/security.md).
      'connection.password': `\${${ENV_CONFIG_PROVIDER}:STOCKSYNC_CANONICAL_PASSWORD}`,
      'insert.mode': 'upsert',
      'primary.key.mode': 'record_key',
      'delete.enabled': 'true',
      'schema.evolution': 'basic',
      'consumer.override.auto.offset.reset': 'earliest',
      // One task writes through one connection at a time; the default pool (5 to 32) only takes
      // connections from the PostgreSQL server every local stack shares.
      'connection.pool.min_size': '1',
      'connection.pool.max_size': '4',
      ...converter,
    },
  };
}
