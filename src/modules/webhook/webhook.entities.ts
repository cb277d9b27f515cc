import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { DealEventKind } from "../events/deal-event";

/** Where an organization's deal events are POSTed. The secret is never a field: it is answered once. */
@ObjectType({ description: "A URL your organization's deal events are POSTed to, signed with the endpoint's secret." })
@Entity("webhook_endpoint")
export class WebhookEndpoint {
  @PrimaryColumn("uuid")
  organizationId: string;

  @Field(() => ID, { description: "The endpoint's id." })
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Field({ description: "An http(s) URL that answers 2xx to a delivered event." })
  @Column("text")
  url: string;

  @Field(() => [DealEventKind], { description: "The kinds of event sent to this endpoint." })
  @Column("text", { array: true })
  events: DealEventKind[];

  @Field(() => String, { nullable: true, description: "What the endpoint is for, for people." })
  @Column("text", { nullable: true })
  description: string | null;

  /** HMAC-SHA256 key of the signatures; shown once, by createWebhookEndpoint and rollWebhookSecret. */
  @Column("text")
  secret: string;

  @Field({ description: "False when turned off, by updateWebhookEndpoint or because deliveries kept failing (see disabledReason)." })
  @Column("boolean")
  enabled: boolean;

  @Field(() => String, { nullable: true, description: "Why the service turned the endpoint off; null while enabled or turned off by hand." })
  @Column("text", { nullable: true })
  disabledReason: string | null;

  @Field(() => Date, {
    nullable: true,
    description: "Since when every delivery has failed; null after a success. After 3 days of failures the endpoint is turned off.",
  })
  @Column("timestamptz", { nullable: true })
  failingSince: Date | null;

  @Field({ description: "When the endpoint was registered." })
  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;

  @Field({ description: "When the endpoint was last changed (its secret rolled included)." })
  @UpdateDateColumn({ type: "timestamptz" })
  updatedAt: Date;
}

export enum WebhookDeliveryStatus {
  PENDING = "pending",
  DELIVERED = "delivered",
  FAILED = "failed",
}
registerEnumType(WebhookDeliveryStatus, {
  name: "WebhookDeliveryStatus",
  description: "Where a webhook delivery stands.",
  valuesConfig: {
    PENDING: { description: "Not delivered yet: waiting for its next attempt (or for the deal's earlier events)." },
    DELIVERED: { description: "The endpoint answered 2xx." },
    FAILED: { description: "Every attempt failed for 24 hours; no more attempts are made." },
  },
});

@ObjectType({ description: "One event on its way to one endpoint, with every attempt made." })
@Entity("webhook_delivery")
export class WebhookDelivery {
  @PrimaryColumn("uuid")
  organizationId: string;

  @Field(() => ID, { description: "The delivery's id." })
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Field(() => ID, { description: "The endpoint the event goes to." })
  @Column("uuid")
  endpointId: string;

  @Field(() => ID, { description: "The event's id: also the idempotency-key header of each attempt." })
  @Column("uuid")
  eventId: string;

  @Field(() => DealEventKind, { description: "What happened: the event's kind." })
  @Column("text")
  eventKind: DealEventKind;

  @Field(() => ID, { description: "The deal the event is about." })
  @Column("uuid")
  dealId: string;

  @Column("bigint")
  eventPosition: string;

  @Field(() => WebhookDeliveryStatus, { description: "PENDING until the endpoint answers 2xx (DELIVERED) or 24 hours of retries run out (FAILED)." })
  @Column("text")
  status: WebhookDeliveryStatus;

  @Field(() => Int, { description: "How many attempts were made." })
  @Column("integer", { name: "attempts" })
  attemptCount: number;

  @Field(() => Date, { nullable: true, description: "When the next attempt is due; null once delivered or failed." })
  get nextAttempt(): Date | null {
    return this.status === WebhookDeliveryStatus.PENDING ? this.nextAttemptAt : null;
  }

  @Column("timestamptz")
  nextAttemptAt: Date;

  @Field(() => Int, { nullable: true, description: "The HTTP status of the last attempt; null when it had no answer." })
  @Column("integer", { nullable: true })
  lastResponseCode: number | null;

  @Field(() => String, { nullable: true, description: "Why the last attempt failed, when it did." })
  @Column("text", { nullable: true })
  lastError: string | null;

  @Field({ description: "When the event was queued for the endpoint (when its write committed)." })
  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: "When it was delivered or gave up." })
  @Column("timestamptz", { nullable: true })
  completedAt: Date | null;
}

@ObjectType({ description: "One POST of a delivery." })
@Entity("webhook_attempt")
export class WebhookAttempt {
  @PrimaryColumn("uuid")
  organizationId: string;

  @Field(() => ID, { description: "The attempt's id." })
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column("uuid")
  deliveryId: string;

  @Field({ description: "When the POST was sent." })
  @Column("timestamptz")
  attemptedAt: Date;

  @Field({ description: "True when the endpoint answered 2xx." })
  @Column("boolean")
  succeeded: boolean;

  @Field(() => Int, { nullable: true, description: "The HTTP status answered; null on a timeout or a connection error." })
  @Column("integer", { nullable: true })
  responseCode: number | null;

  @Field(() => String, { nullable: true, description: "Why the attempt failed (the status answered, a timeout, a connection error); null when it succeeded." })
  @Column("text", { nullable: true })
  error: string | null;

  @Field(() => Int, { description: "How long the attempt took, in milliseconds." })
  @Column("integer")
  durationMs: number;

  @Field(() => Date, { nullable: true, description: "When the next attempt was planned after this one; null when none was." })
  @Column("timestamptz", { nullable: true })
  nextAttemptAt: Date | null;
}
