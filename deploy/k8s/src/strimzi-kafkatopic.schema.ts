/**
 * The schema of Strimzi's KafkaTopic, kafka.strimzi.io/v1beta2, as its CustomResourceDefinition
 * states it (the openAPIV3Schema of packaging/install/cluster-operator/043-Crd-kafkatopic.yaml in
 * github.com/strimzi/strimzi-kafka-operator, read at commit 0d780a377b575dc8a135164b0af203c7c7e77705),
 * restated here as a JSON Schema for ajv since no npm package ships it. The CRD's schema is
 * structural, so the API server drops fields it does not name; here they are refused instead
 * (`additionalProperties: false`), so a misspelt field fails the test rather than vanish. `status`
 * is written by the operator, never by a manifest, and is left out.
 */
export const KAFKA_TOPIC_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'kafka.strimzi.io/v1beta2' },
    kind: { const: 'KafkaTopic' },
    metadata: {
      type: 'object',
      required: ['name', 'labels'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 253 },
        namespace: { type: 'string' },
        // The Topic Operator manages a KafkaTopic only with its cluster's label.
        labels: {
          type: 'object',
          required: ['strimzi.io/cluster'],
          properties: { 'strimzi.io/cluster': { type: 'string', minLength: 1 } },
          additionalProperties: { type: 'string' },
        },
        annotations: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        // The number of partitions; it can grow after creation, never shrink.
        partitions: { type: 'integer', minimum: 1 },
        replicas: { type: 'integer', minimum: 1, maximum: 32767 },
        // The topic's configuration (x-kubernetes-preserve-unknown-fields in the CRD): Kafka's
        // topic configs, whose values the operator passes on as strings.
        config: {
          type: 'object',
          additionalProperties: { type: ['string', 'number', 'boolean'] },
        },
        // The topic's name in Kafka, when metadata.name cannot be it.
        topicName: { type: 'string', minLength: 1 },
      },
    },
  },
} as const;
