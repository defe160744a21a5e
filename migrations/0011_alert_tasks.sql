-- An alert Kakao took is checked against its task result (GET /v1/tasks/{taskId}) before it
-- counts as sent: only the task says whether the message reached the customer (`1 FAIL` with
-- userKeyResolvingFailCount, for one). ACCEPTED is "Kakao answered SUCCESS, its task result is
-- not in yet"; task_status keeps the task's last status (`ALL SUCCESS`, `1 FAIL`, …) for an
-- operator, beside last_error, which names the causes of a failed task.
ALTER TABLE alert_delivery
    DROP CONSTRAINT alert_delivery_state_check,
    ADD CONSTRAINT alert_delivery_state_check
        CHECK (state IN ('PENDING', 'SENDING', 'ACCEPTED', 'SENT', 'FAILED')),
    ADD COLUMN task_status text;
