import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

/** OAuth2 password flow: form fields (application/x-www-form-urlencoded) or JSON. Extra fields ignored. */
export class TokenRequestBody {
  @ApiProperty({ example: 'operator' })
  @IsString() @MinLength(1) @MaxLength(64)
  username: string;

  @ApiProperty({ example: 'operator-demo' })
  @IsString() @MinLength(1) @MaxLength(256)
  password: string;
}

export class TokenResponseDto {
  @ApiProperty() access_token: string;
  @ApiProperty({ enum: ['bearer'] }) token_type: 'bearer';
  @ApiProperty({ description: 'seconds' }) expires_in: number;
}

export class MeResponseDto {
  @ApiProperty() username: string;
  @ApiProperty({ enum: ['operator', 'engineer', 'admin'] }) role: string;
  @ApiProperty() anonymous: boolean;
  @ApiProperty({ nullable: true, type: String, description: 'ISO-8601; null for anonymous viewers' }) expires_at: string | null;
}

export class DemoUserDto {
  @ApiProperty() username: string;
  @ApiProperty() password: string;
  @ApiProperty({ enum: ['operator', 'engineer', 'admin'] }) role: string;
}

export class AuthOptionsDto {
  @ApiProperty() anonymous_view: boolean;
  @ApiProperty({ type: [DemoUserDto], description: 'Empty outside demo mode' }) demo_users: DemoUserDto[];
}
