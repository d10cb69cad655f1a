connect(sock , (struct sockaddr*) &serv_addr , sizeof(serv_addr));
held = 0;
while(fgets(message , BUF_SIZE , stdin) != NULL) {
        write(sock , message , strlen(message));
        while((end = memchr(line , '\n' , held)) == NULL) {
                if(held >= MAX_LINE) errorHandling("line too long");
                recv_cnt = read(sock , buf , BUF_SIZE);
                if(recv_cnt == 0) errorHandling("closed mid-message");
                memcpy(&line[held] , buf , recv_cnt);
                held += recv_cnt;
        }
        line_len = end - line + 1;
        printf("Message from server : %.*s" , line_len , line);
        memmove(line , line + line_len , held - line_len);
        held -= line_len;
}
close(sock);
