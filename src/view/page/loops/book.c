connect(sock , (struct sockaddr*) &serv_addr , sizeof(serv_addr));
while(1) {
        fgets(message , BUF_SIZE , stdin);
        if(!strcmp(message , "q\n") || !strcmp(message , "Q\n"))
                break;
        str_len = write(sock , message , strlen(message));
        recv_len = 0;
        while(recv_len < str_len) {
                recv_cnt = read(sock , &message[recv_len] , BUF_SIZE - 1);
                recv_len += recv_cnt;
        }
        message[recv_len] = 0;
        printf("Message from server : %s" , message);
}
close(sock);
