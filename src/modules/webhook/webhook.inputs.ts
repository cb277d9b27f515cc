import { ArrayMinSize, ArrayUnique, IsBoolean, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from "class-validator";
import { ArgsType, Field, ID, Int } from "type-graphql";
import { MutationInput } from "../../core/graphql/mutation-input";
import { DealEventKind } from "../events/deal-event";

@ArgsType()
export class CreateWebhookEndpointArgs extends MutationInput {
  @Field({ description: "Where to POST events: an http(s) URL. In production it may not point to a private or loopback address." })
  @IsString()
  @MaxLength(2000)
  url: string;

  @Field(() => [DealEventKind], { description: "The kinds of event to send (at least one)." })
  @ArrayMinSize(1, { message: "events must name at least one kind of event" })
  @ArrayUnique({ message: "events must not name a kind twice" })
  events: DealEventKind[];

  @Field(() => String, { nullable: true, description: "What the endpoint is for, for people (up to 500 characters)." })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

@ArgsType()
export class UpdateWebhookEndpointArgs extends MutationInput {
  @Field(() => ID, { description: "The webhook endpoint's id." })
  @IsUUID("all", { message: "id must be a UUID" })
  id: string;

  @Field(() => String, { nullable: true, description: "A new URL; left out keeps the current one." })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  url?: string;

  @Field(() => [DealEventKind], { nullable: true, description: "The kinds of event to send from now on; left out keeps them." })
  @IsOptional()
  @ArrayMinSize(1, { message: "events must name at least one kind of event" })
  @ArrayUnique({ message: "events must not name a kind twice" })
  events?: DealEventKind[];

  @Field(() => String, { nullable: true, description: "A new description; null clears it, left out keeps it." })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "False stops deliveries (they wait, pending); true starts them again and clears a disabledReason.",
  })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

@ArgsType()
export class WebhookEndpointIdArgs extends MutationInput {
  @Field(() => ID, { description: "The webhook endpoint's id." })
  @IsUUID("all", { message: "id must be a UUID" })
  id: string;
}

@ArgsType()
export class WebhookDeliveriesArgs {
  @Field(() => ID, { description: "The endpoint whose deliveries to list." })
  @IsUUID("all", { message: "endpointId must be a UUID" })
  endpointId: string;

  @Field(() => Int, { defaultValue: 50, description: "How many of the newest deliveries to answer, 1 to 200." })
  @IsInt()
  @Min(1)
  @Max(200)
  first: number;
}

